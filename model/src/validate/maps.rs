//! The rules of layers that see their input as a map: a sum pool before
//! the synapses, and `conv2d` connectivity (docs/model-format.md,
//! docs/semantics.md section 3).

use crate::error::ModelError;
use crate::network::{Conv2d, Layer, Shape3};
use crate::width::{fits, range_of};

use super::{limits, LayerCheck};

/// `C * H * W`, or `None` when it overflows.
fn volume([c, h, w]: Shape3) -> Option<usize> {
    c.checked_mul(h)?.checked_mul(w)
}

/// What layer `layer`'s synapses see from `fan_in` presynaptic neurons: the
/// pooled map's size behind a sum pool, else `fan_in`. (An invalid pool is
/// refused by [`LayerCheck::check_pool`] before this matters.)
pub(super) fn synaptic_inputs(layer: &Layer, fan_in: usize) -> usize {
    match &layer.input_pool {
        Some(pool) => volume(pool.output()).unwrap_or(usize::MAX),
        None => fan_in,
    }
}

/// How many events one presynaptic neuron's spike can add to one synaptic
/// input in a step: the pool window's size (1 without a pool).
pub(super) fn pool_window(layer: &Layer) -> i64 {
    layer.input_pool.as_ref().map_or(1, |p| {
        let [ky, kx] = p.kernel;
        i64::try_from(ky.saturating_mul(kx)).unwrap_or(i64::MAX)
    })
}

/// Synapses of the layer, for the network's limit: `inputs x size` for a
/// dense layer; for a conv layer each neuron's `C_in x kh x kw` taps.
pub(super) fn synapse_count(layer: &Layer, inputs: usize) -> usize {
    match &layer.conv2d {
        None => inputs.saturating_mul(layer.size),
        Some(conv) => {
            let [kh, kw] = conv.kernel;
            layer
                .size
                .saturating_mul(conv.input[0])
                .saturating_mul(kh.saturating_mul(kw))
        }
    }
}

/// Per neuron, the sum of its negative and of its positive weights (a
/// conv neuron: of its output channel's kernels, every tap counted, which
/// bounds the border neurons too).
pub(super) fn signed_sums(layer: &Layer) -> (Vec<i64>, Vec<i64>) {
    let mut neg = vec![0i64; layer.size];
    let mut pos = vec![0i64; layer.size];
    match &layer.conv2d {
        None => {
            for row in &layer.weights {
                for (i, &w) in row.iter().enumerate() {
                    if w < 0 {
                        neg[i] += w;
                    } else {
                        pos[i] += w;
                    }
                }
            }
        }
        Some(conv) => {
            let per_channel = layer.size / conv.out_channels.max(1);
            for (o, kernels) in conv.weights.iter().enumerate() {
                let taps = kernels.iter().flat_map(|k| k.as_flat().iter().copied());
                let (n, p) = taps.fold(
                    (0i64, 0i64),
                    |(n, p), w| {
                        if w < 0 {
                            (n + w, p)
                        } else {
                            (n, p + w)
                        }
                    },
                );
                let neurons = o * per_channel..(o + 1) * per_channel;
                neg[neurons.clone()].fill(n);
                pos[neurons].fill(p);
            }
        }
    }
    (neg, pos)
}

impl LayerCheck<'_> {
    /// `input_pool`: a map of the previous layer's size, tiled by windows
    /// of at least one neuron.
    pub(super) fn check_pool(&self) -> Result<(), ModelError> {
        let Some(pool) = &self.layer.input_pool else {
            return Ok(());
        };
        let [c, h, w] = pool.input;
        if c == 0 || h == 0 || w == 0 || volume(pool.input) != Some(self.fan_in) {
            return Err(self.err(
                "input_pool.input",
                format!(
                    "{c} x {h} x {w} is not a map of the {} presynaptic neurons",
                    self.fan_in
                ),
            ));
        }
        let [ky, kx] = pool.kernel;
        if ky == 0 || kx == 0 || h % ky != 0 || w % kx != 0 {
            return Err(self.err(
                "input_pool.kernel",
                format!(
                    "{ky} x {kx} windows do not tile the {h} x {w} map (the windows must divide it)"
                ),
            ));
        }
        Ok(())
    }

    /// `conv2d`: an input map of the synaptic inputs, a kernel that fits
    /// the padded input, an output map of `size` neurons, and kernels of
    /// the declared shape and width; no dense `weights`.
    pub(super) fn check_conv(&self, conv: &Conv2d) -> Result<(), ModelError> {
        let l = self.layer;
        if !l.weights.is_empty() {
            return Err(self.err(
                "weights",
                "a conv2d layer keeps its weights in conv2d.weights; remove the dense weights",
            ));
        }
        let [c, h, w] = conv.input;
        if c == 0 || h == 0 || w == 0 || volume(conv.input) != Some(self.inputs) {
            let from = if l.input_pool.is_some() {
                "pooled inputs"
            } else {
                "presynaptic neurons"
            };
            return Err(self.err(
                "conv2d.input",
                format!("{c} x {h} x {w} is not a map of the {} {from}", self.inputs),
            ));
        }
        if conv.out_channels == 0 || conv.out_channels > limits::MAX_LAYER_SIZE {
            return Err(self.err(
                "conv2d.out_channels",
                format!(
                    "must be between 1 and {}, not {}",
                    limits::MAX_LAYER_SIZE,
                    conv.out_channels
                ),
            ));
        }
        self.check_conv_geometry(conv)?;
        self.check_conv_weights(conv)
    }

    /// Kernel, stride, padding and the output map they give.
    fn check_conv_geometry(&self, conv: &Conv2d) -> Result<(), ModelError> {
        let [kh, kw] = conv.kernel;
        let [sy, sx] = conv.strides();
        let [py, px] = conv.pads();
        if kh == 0 || kw == 0 {
            return Err(self.err("conv2d.kernel", "a kernel needs at least one tap"));
        }
        if sy == 0 || sx == 0 {
            return Err(self.err("conv2d.stride", "a stride must be at least 1"));
        }
        if py >= kh || px >= kw {
            return Err(self.err(
                "conv2d.padding",
                format!(
                    "padding {py} x {px} must be below the {kh} x {kw} kernel (a window wholly in the padding sees nothing)"
                ),
            ));
        }
        let [_, h, w] = conv.input;
        let Some(out) = conv.output() else {
            return Err(self.err(
                "conv2d.kernel",
                format!(
                    "a {kh} x {kw} kernel does not fit the {h} x {w} input padded by {py} x {px}"
                ),
            ));
        };
        if volume(out) != Some(self.layer.size) {
            let [o, oh, ow] = out;
            return Err(self.err(
                "size",
                format!(
                    "a conv2d of a {h} x {w} input, {kh} x {kw} kernel, stride {sy} x {sx} and \
                     padding {py} x {px} gives {o} x {oh} x {ow} = {} neurons, not {}",
                    o.saturating_mul(oh).saturating_mul(ow),
                    self.layer.size
                ),
            ));
        }
        Ok(())
    }

    /// `conv2d.weights`: `[C_out][C_in][kh][kw]`, every value in the width.
    fn check_conv_weights(&self, conv: &Conv2d) -> Result<(), ModelError> {
        let [c, _, _] = conv.input;
        let [kh, kw] = conv.kernel;
        if conv.weights.len() != conv.out_channels {
            return Err(self.err(
                "conv2d.weights",
                format!(
                    "expected {} kernel sets (one per output channel), found {}",
                    conv.out_channels,
                    conv.weights.len()
                ),
            ));
        }
        let ww = self.layer.widths.weight;
        for (o, kernels) in conv.weights.iter().enumerate() {
            if kernels.len() != c {
                return Err(self.err(
                    format!("conv2d.weights[{o}]"),
                    format!(
                        "expected {c} kernels (one per input channel), found {}",
                        kernels.len()
                    ),
                ));
            }
            for (i, k) in kernels.iter().enumerate() {
                if k.len() != kh || (kh > 0 && k.row_len() != kw) {
                    return Err(self.err(
                        format!("conv2d.weights[{o}][{i}]"),
                        format!(
                            "expected a {kh} x {kw} kernel, found {} x {}",
                            k.len(),
                            k.row_len()
                        ),
                    ));
                }
                if let Some(at) = k.as_flat().iter().position(|&v| !fits(v, ww)) {
                    let (lo, hi) = range_of(ww);
                    return Err(self.err(
                        format!("conv2d.weights[{o}][{i}][{}][{}]", at / kw, at % kw),
                        format!(
                            "{} does not fit the {ww}-bit weight width ({lo}..={hi})",
                            k.as_flat()[at]
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}
