//! The synapse nodes between two neuron nodes (`Affine`, `Linear`,
//! `Scale`, `Delay`), folded into one [`Segment`]: an affine map with a
//! per-input scale and per-synapse delays. A spikegate layer has exactly
//! one weight matrix, so every run of synapse nodes must reduce to one.

use spikegate_model::validate::limits;

use super::params::NodeParams;
use crate::error::ImportError;

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
}

impl Segment {
    /// How many values the segment passes on so far: its matrix's outputs,
    /// or (before any matrix) `size`, what the previous layer gives.
    pub(super) fn outputs(&self, size: Option<usize>) -> Option<usize> {
        match &self.matrix {
            Some(m) => Some(m.rows.len()),
            None => size,
        }
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
        let pre_scale = |j: usize| self.pre_scale.as_ref().map_or(1.0, |s| s[j]);
        let mut weights = vec![vec![0.0; n]; fan_in];
        for (i, row) in map.rows.iter().enumerate() {
            for (j, &w) in row.iter().enumerate() {
                weights[j][i] = w * pre_scale(j) * gain[i];
            }
        }
        let bias = (0..n).map(|i| map.bias[i] * gain[i] + drive[i]).collect();
        (weights, bias)
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
