//! The synapse nodes between two neuron nodes (`Affine`, `Linear`,
//! `Scale`, `Delay`), folded into one [`Segment`]: an affine map with a
//! per-input scale and per-synapse delays. A spikegate layer has exactly
//! one weight matrix, so every run of synapse nodes must reduce to one.

use spikegate_model::validate::limits;
use spikegate_model::{Shape3, SumPool};

use super::params::NodeParams;
use crate::error::ImportError;
use crate::float::FloatConv;

/// `x -> rows * x + bias`, with `rows` stored `[out][in]` as NIR does.
pub(super) struct AffineMap {
    rows: Vec<Vec<f64>>,
    bias: Vec<f64>,
}

impl AffineMap {
    /// The map that passes `n` values through unchanged, for a neuron node
    /// that no matrix precedes.
    fn identity(n: usize) -> Self {
        AffineMap {
            rows: (0..n)
                .map(|i| (0..n).map(|j| if i == j { 1.0 } else { 0.0 }).collect())
                .collect(),
            bias: vec![0.0; n],
        }
    }

    /// `self` applied after `prev`: `rows * prev.rows`, with bias
    /// `rows * prev.bias + bias`.
    fn after(self, prev: &AffineMap) -> AffineMap {
        let out = self.bias.len();
        let k = prev.rows.first().map_or(0, Vec::len);
        let mut rows = vec![vec![0.0; k]; out];
        let mut bias = self.bias;
        for i in 0..out {
            for (h, &r) in self.rows[i].iter().enumerate() {
                bias[i] += r * prev.bias[h];
                for (acc, &w) in rows[i].iter_mut().zip(&prev.rows[h]) {
                    *acc += r * w;
                }
            }
        }
        AffineMap { rows, bias }
    }
}

/// The synapse nodes gathered since the last neuron node.
#[derive(Default)]
pub(super) struct Segment {
    /// The nodes folded in so far, as messages name them.
    pub(super) sources: Vec<String>,
    /// Per presynaptic neuron: scale and delay (seconds) before any matrix.
    pre_scale: Option<Vec<f64>>,
    pre_delay: Option<Vec<f64>>,
    /// The matrices seen so far, composed.
    matrix: Option<AffineMap>,
    /// Per output neuron delay (seconds) after the matrix.
    post_delay: Option<Vec<f64>>,
    /// A sum or average pool at the segment's start.
    pub(super) pool: Option<SumPool>,
    /// `1 / (ky kx)` after an average pool (1 otherwise), folded into the
    /// weights that follow it.
    pool_scale: Option<f64>,
    /// A convolution instead of a matrix: its kernels without the neurons'
    /// gain, and its bias per output channel.
    conv: Option<(FloatConv, Vec<f64>)>,
}

impl Segment {
    /// How many values the segment passes on so far: its matrix's outputs,
    /// or (before any matrix) `size`, what the previous layer gives.
    pub(super) fn outputs(&self, size: Option<usize>) -> Option<usize> {
        if let Some((conv, _)) = &self.conv {
            return conv.geometry.output().map(|s| s.iter().product());
        }
        match (&self.matrix, &self.pool) {
            (Some(m), _) => Some(m.rows.len()),
            (None, Some(pool)) => Some(pool.output().iter().product()),
            (None, None) => size,
        }
    }

    /// The map a conv layer closed from this segment gives, if it is one.
    pub(super) fn output_map(&self) -> Option<Shape3> {
        self.conv.as_ref().and_then(|(c, _)| c.geometry.output())
    }

    /// Whether the segment pools or convolves, which spikegate does not
    /// combine with `Scale` or `Delay` nodes or a second matrix.
    fn has_map(&self) -> bool {
        self.pool.is_some() || self.conv.is_some()
    }

    /// Refuses node `p` (a `Scale`, `Delay` or matrix) in a segment that
    /// pools or convolves.
    fn refuse_with_map(&self, p: &NodeParams) -> Result<(), ImportError> {
        if self.conv.is_some()
            || (self.pool.is_some() && p.node.kind != "Affine" && p.node.kind != "Linear")
        {
            return Err(p.err(
                None,
                "spikegate does not combine this node with a convolution or a pool in one layer \
                 yet: a layer is a pool (optional), then one Conv2d or one Affine/Linear, then neurons",
            ));
        }
        Ok(())
    }

    /// Folds in a `SumPool2d` or `AvgPool2d` node over the map `map` (what
    /// the previous layer or the Input gives); it must start the segment.
    pub(super) fn add_pool(
        &mut self,
        p: &NodeParams,
        map: Option<Shape3>,
    ) -> Result<(), ImportError> {
        if !self.sources.is_empty() {
            return Err(p.err(
                None,
                "a pool must come right after a neuron node or the Input (spikegate pools spikes)",
            ));
        }
        let Some(map) = map else {
            return Err(p.err(
                None,
                "the map the pool acts on is unknown: it needs a Conv2d layer before it, or an \
                 Input whose shape is [channels, rows, columns]",
            ));
        };
        let kernel = p.pair("kernel_size")?;
        let stride = p.optional_pair("stride")?.unwrap_or(kernel);
        let padding = p.optional_pair("padding")?.unwrap_or([0, 0]);
        if stride != kernel || padding != [0, 0] {
            return Err(p.err(
                Some("stride"),
                format!(
                    "spikegate pools with windows that tile the map (stride = kernel, no \
                     padding); this one has kernel {kernel:?}, stride {stride:?}, padding {padding:?}"
                ),
            ));
        }
        let [_, h, w] = map;
        if kernel[0] == 0 || kernel[1] == 0 || h % kernel[0] != 0 || w % kernel[1] != 0 {
            return Err(p.err(
                Some("kernel_size"),
                format!("{kernel:?} windows do not tile the {h} x {w} map"),
            ));
        }
        self.pool = Some(SumPool { input: map, kernel });
        if p.node.kind == "AvgPool2d" {
            self.pool_scale = Some(1.0 / (kernel[0] * kernel[1]) as f64);
        }
        Ok(())
    }

    /// Folds in a `Conv2d` (or `Conv1d`, as a Conv2d of one row) node over
    /// the map `map` (the pooled map when a pool comes first). Dilation and
    /// groups other than 1 are refused.
    pub(super) fn add_conv(
        &mut self,
        p: &NodeParams,
        map: Option<Shape3>,
    ) -> Result<(), ImportError> {
        if self.matrix.is_some()
            || self.conv.is_some()
            || self.pre_scale.is_some()
            || self.pre_delay.is_some()
        {
            return Err(p.err(
                None,
                "spikegate carries one Conv2d per layer, after an optional pool and before the neurons, not composed with other synapse nodes",
            ));
        }
        let w = p.get("weight")?;
        let one_d = p.node.kind == "Conv1d";
        // A Conv1d is a Conv2d of one row: kernel, stride, padding and
        // input shape gain a leading 1 (0 for the padding).
        let [o, c, kh, kw] = match w.shape[..] {
            [o, c, kh, kw] if !one_d => [o, c, kh, kw],
            [o, c, k] if one_d => [o, c, 1, k],
            _ => {
                return Err(p.err(
                    Some("weight"),
                    format!(
                        "expected a {} kernel, found shape {:?}",
                        if one_d {
                            "3-dimensional [out, in, k]"
                        } else {
                            "4-dimensional [out, in, kh, kw]"
                        },
                        w.shape
                    ),
                ))
            }
        };
        let pair = |name: &str, row: usize| -> Result<Option<[usize; 2]>, ImportError> {
            if one_d {
                Ok(p.optional_pair(name)?.map(|[_, v]| [row, v]))
            } else {
                p.optional_pair(name)
            }
        };
        for (field, want) in [("dilation", 1.0), ("groups", 1.0)] {
            if let Some(d) = p.optional(field)? {
                if d.values.iter().any(|&v| v != want) {
                    return Err(p.err(
                        Some(field),
                        format!("{field} {:?}: spikegate carries {field} 1 only", d.values),
                    ));
                }
            }
        }
        let map = self.pool.as_ref().map(SumPool::output).or(map);
        let declared = pair("input_shape", 1)?;
        let map = match (map, declared) {
            (Some(m), _) => m,
            (None, Some([h, wd])) => [c, h, wd],
            (None, None) => {
                return Err(p.err(
                    Some("input_shape"),
                    "the map the convolution reads is unknown: give the Input a [channels, rows, columns] shape or the node an input_shape",
                ))
            }
        };
        if map[0] != c || declared.is_some_and(|s| s != [map[1], map[2]]) {
            return Err(p.err(
                Some("weight"),
                format!("the kernel [out, in, kh, kw] = {:?} does not read the {} x {} x {} map before it", w.shape, map[0], map[1], map[2]),
            ));
        }
        let geometry = spikegate_model::Conv2d {
            input: map,
            out_channels: o,
            kernel: [kh, kw],
            stride: Some(pair("stride", 1)?.unwrap_or([1, 1])),
            padding: Some(pair("padding", 0)?.unwrap_or([0, 0])),
            weights: Vec::new(),
        };
        if geometry.output().is_none() || o == 0 {
            return Err(p.err(
                Some("weight"),
                format!("a {kh} x {kw} kernel with stride {:?} and padding {:?} does not fit the {} x {} map", geometry.strides(), geometry.pads(), map[1], map[2]),
            ));
        }
        let bias = p.optional_vector("bias", o, 0.0)?;
        let scale = self.pool_scale.unwrap_or(1.0);
        let kernels = w.values.iter().map(|v| v * scale).collect();
        self.conv = Some((FloatConv { geometry, kernels }, bias));
        Ok(())
    }

    /// How many values a `Scale` or `Delay` node acts on: the segment's
    /// outputs, or, where nothing before gives a size, as many as its
    /// parameter `param` holds.
    fn width(&self, size: Option<usize>, p: &NodeParams, param: &str) -> usize {
        self.outputs(size)
            .unwrap_or_else(|| p.node.params.get(param).map_or(1, |s| s.values.len()))
    }

    /// Folds in an `Affine` or `Linear` node, composing it with any matrix
    /// before it. Returns the number of inputs the matrix takes (the
    /// network's input size when nothing before gave one).
    pub(super) fn add_matrix(
        &mut self,
        p: &NodeParams,
        size: Option<usize>,
    ) -> Result<usize, ImportError> {
        self.refuse_with_map(p)?;
        let (out, inp, w) = p.matrix("weight")?;
        if let Some(n) = self.outputs(size) {
            if n != inp {
                return Err(p.err(
                    Some("weight"),
                    format!("the matrix takes {inp} inputs ([out, in] = {:?}), but the node before it gives {n}", [out, inp]),
                ));
            }
        }
        let bias = if p.node.kind == "Affine" {
            p.optional_vector("bias", out, 0.0)?
        } else {
            vec![0.0; out]
        };
        let map = AffineMap {
            rows: w.chunks_exact(inp).map(<[f64]>::to_vec).collect(),
            bias,
        };
        self.matrix = Some(match self.matrix.take() {
            None => map,
            Some(prev) => {
                if self.post_delay.is_some() {
                    return Err(p.err(
                        None,
                        "a Delay sits between two matrices; spikegate delays are per synapse of one layer, so put the Delay before the first matrix or after the last",
                    ));
                }
                map.after(&prev)
            }
        });
        Ok(inp)
    }

    /// Folds in a `Scale` node: into the matrix's rows and bias when there
    /// is one, else into the per-input scale applied before it.
    pub(super) fn add_scale(
        &mut self,
        p: &NodeParams,
        size: Option<usize>,
    ) -> Result<(), ImportError> {
        if self.has_map() {
            self.refuse_with_map(p)?;
        }
        let n = self.width(size, p, "scale");
        let s = p.vector("scale", n)?;
        match &mut self.matrix {
            Some(m) => {
                // `s` has one factor per output (`n` is the map's outputs).
                for ((row, bias), &f) in m.rows.iter_mut().zip(&mut m.bias).zip(&s) {
                    *bias *= f;
                    for w in row {
                        *w *= f;
                    }
                }
            }
            None => {
                let pre = self.pre_scale.get_or_insert_with(|| vec![1.0; n]);
                for (a, b) in pre.iter_mut().zip(&s) {
                    *a *= b;
                }
            }
        }
        Ok(())
    }

    /// Folds in a `Delay` node: per output after the matrix, per input
    /// before it. `dt` is the user's time step, which delays need.
    pub(super) fn add_delay(
        &mut self,
        p: &NodeParams,
        size: Option<usize>,
        dt: Option<f64>,
    ) -> Result<(), ImportError> {
        if self.has_map() {
            self.refuse_with_map(p)?;
        }
        let n = self.width(size, p, "delay");
        let d = p.vector("delay", n)?;
        if let Some(k) = d.iter().position(|&x| x < 0.0) {
            return Err(p.err(
                Some("delay"),
                format!("value {k} is {}; delays cannot be negative", d[k]),
            ));
        }
        p.time_step(dt)?;
        let target = if self.matrix.is_some() {
            &mut self.post_delay
        } else {
            &mut self.pre_delay
        };
        let acc = target.get_or_insert_with(|| vec![0.0; n]);
        for (a, b) in acc.iter_mut().zip(&d) {
            *a += b;
        }
        Ok(())
    }

    /// The segment as the fan-out weights `[in][out]` and bias of a layer
    /// of `n` neurons, each neuron's input scaled by `gain` and its bias
    /// raised by `drive` (what the neuron node's dynamics make of a unit of
    /// input current).
    pub(super) fn weights_and_bias(
        &self,
        n: usize,
        gain: &[f64],
        drive: &[f64],
    ) -> (Vec<Vec<f64>>, Vec<f64>) {
        let identity;
        let map = match &self.matrix {
            Some(m) => m,
            None => {
                identity = AffineMap::identity(n);
                &identity
            }
        };
        let fan_in = map.rows.first().map_or(0, Vec::len);
        let pool_scale = self.pool_scale.unwrap_or(1.0);
        let pre_scale = |j: usize| self.pre_scale.as_ref().map_or(1.0, |s| s[j]) * pool_scale;
        let mut weights = vec![vec![0.0; n]; fan_in];
        for (i, row) in map.rows.iter().enumerate() {
            for (j, &w) in row.iter().enumerate() {
                weights[j][i] = w * pre_scale(j) * gain[i];
            }
        }
        let bias = (0..n).map(|i| map.bias[i] * gain[i] + drive[i]).collect();
        (weights, bias)
    }

    /// A conv segment as the layer's convolution, each output channel's
    /// kernels scaled by its neurons' `gain`, and the per-neuron bias
    /// `bias_o * gain_i + drive_i`; `None` for a dense segment. `p` is the
    /// layer's neuron node: a gain that differs within a channel is refused
    /// there (the neurons of a channel share their kernels).
    pub(super) fn conv_layer(
        &self,
        p: &NodeParams,
        gain: &[f64],
        drive: &[f64],
    ) -> Result<Option<(FloatConv, Vec<f64>)>, ImportError> {
        let Some((conv, bias)) = &self.conv else {
            return Ok(None);
        };
        let plane = conv.plane();
        let mut scaled = conv.clone();
        for (ch, k) in scaled.channels_mut().enumerate() {
            let g = &gain[ch * plane..(ch + 1) * plane];
            if g.iter()
                .any(|&x| (x - g[0]).abs() > 1e-12 * g[0].abs().max(1.0))
            {
                return Err(p.err(
                    None,
                    format!("the neurons of output channel {ch} take their input with different gains (r, tau); the neurons of a channel share their kernels, so spikegate needs one gain a channel"),
                ));
            }
            for w in k {
                *w *= g[0];
            }
        }
        let neuron_bias = (0..gain.len())
            .map(|i| bias[i / plane] * gain[i] + drive[i])
            .collect();
        Ok(Some((scaled, neuron_bias)))
    }

    /// The segment's delays in whole steps per synapse `[in][out]` of a
    /// layer with `fan_in` inputs and `n` neurons, or `None` when it has
    /// none. `p` is the layer's neuron node, which errors name. Delays that
    /// are not whole steps are rounded, with a warning.
    pub(super) fn delay_steps(
        &self,
        p: &NodeParams,
        fan_in: usize,
        n: usize,
        dt: Option<f64>,
        warnings: &mut Vec<String>,
    ) -> Result<Option<Vec<Vec<u32>>>, ImportError> {
        if self.pre_delay.is_none() && self.post_delay.is_none() {
            return Ok(None);
        }
        let dt = p.time_step(dt)?;
        // A side without a Delay node delays by nothing.
        let pre = |j: usize| self.pre_delay.as_ref().map_or(0.0, |d| d[j]);
        let post = |i: usize| self.post_delay.as_ref().map_or(0.0, |d| d[i]);
        let mut rounded = false;
        let mut values = vec![vec![0u32; n]; fan_in];
        for (j, row) in values.iter_mut().enumerate() {
            for (i, d) in row.iter_mut().enumerate() {
                let steps = (pre(j) + post(i)) / dt;
                let r = steps.round();
                if (steps - r).abs() > 1e-6 * r.max(1.0) {
                    rounded = true;
                }
                if r > f64::from(limits::MAX_DELAY) {
                    return Err(p.err(
                        Some("delay"),
                        format!("a delay of {steps:.0} steps (dt = {dt} s) exceeds spikegate's largest delay {}", limits::MAX_DELAY),
                    ));
                }
                *d = r as u32;
            }
        }
        if rounded {
            warnings.push(format!(
                "layer `{}`: delays are not whole multiples of dt = {dt} s; rounded to the nearest step",
                p.node.name
            ));
        }
        Ok(Some(values))
    }
}
