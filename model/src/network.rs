//! The network description as it is written in a model file.
//!
//! These types mirror `docs/model-format.md` field by field. They are plain
//! data: a value of [`Network`] read from a file has been *parsed* but not
//! yet *validated*; [`crate::validate`] turns it into a
//! [`crate::ValidNetwork`] or says exactly what is wrong.

use serde::{Deserialize, Serialize};

use crate::matrix::Matrix;

/// The identifier every model file carries in its `format` field.
pub const MODEL_FORMAT: &str = "spikegate-model/1";

/// A quantized spiking network: a chain of dense layers driven by input spikes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Network {
    /// File format identifier; must be [`MODEL_FORMAT`].
    pub format: String,
    /// Human-readable name of the network.
    pub name: String,
    /// Number of time steps `T` in one sample.
    pub time_steps: u32,
    /// Number of input neurons (the width of the input spike stream).
    pub inputs: usize,
    /// The layers, in order; layer 0 receives the input spikes.
    #[serde(deserialize_with = "crate::de::layers")]
    pub layers: Vec<Layer>,
    /// How the last layer's activity becomes the network's answer.
    pub output: Output,
}

/// One dense (fully connected) layer of neurons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Layer {
    /// Optional name, used in reports and error messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Number of neurons in this layer.
    pub size: usize,
    /// Neuron kind and its parameters.
    pub neuron: Neuron,
    /// Two's-complement widths of the layer's values.
    pub widths: Widths,
    /// Firing threshold: a neuron spikes when its membrane `v >= threshold`.
    /// Absent only in a readout layer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<i64>,
    /// What happens to the membrane in the step of a spike.
    /// Absent only in a readout layer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reset: Option<Reset>,
    /// When the reset of a spike acts: in the step of the spike (absent,
    /// `immediate`) or in the next step, after the update (`deferred`, the
    /// order of snnTorch). Absent in a readout layer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reset_timing: Option<ResetTiming>,
    /// The most spikes a neuron fires in one step (absent: 1). Above 1 a
    /// neuron at `v >= threshold` fires `min(max_spikes, v / threshold)`
    /// spikes, as Sinabs' multi-spike neurons do. Absent in a readout layer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_spikes: Option<u32>,
    /// A lower bound on the membrane, applied at the end of every step
    /// (absent: none). Sinabs' `min_v_mem`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub membrane_floor: Option<i64>,
    /// How many state units one weight unit is worth, as a power of two
    /// (absent: 0): the synaptic input `x` (weights and bias) enters the
    /// membrane or current as `x * 2^weight_shift`. It gives the state
    /// finer steps than the weights, so that decays round in fractions
    /// of a weight's step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight_shift: Option<u32>,
    /// The spikes arriving from the previous layer (or the inputs) pass a
    /// sum pool first (absent: they arrive as they are).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_pool: Option<SumPool>,
    /// A convolution instead of dense weights: its geometry and its kernel
    /// weights (absent: a dense layer, whose weights are `weights`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conv2d: Option<Conv2d>,
    /// Weights as fan-out rows: `weights[j][i]` connects presynaptic neuron
    /// `j` (previous layer, or input) to neuron `i` of this layer. Empty
    /// (and absent from the file) in a `conv2d` layer.
    #[serde(default, skip_serializing_if = "Matrix::is_empty")]
    pub weights: Matrix<i64>,
    /// Per-neuron bias added to the synaptic input every step (per output
    /// channel in a `conv2d` layer).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::de::bias"
    )]
    pub bias: Option<Vec<i64>>,
    /// Per-synapse delays in steps; absent means every delay is 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delays: Option<Delays>,
    /// Feedback synapses from the layer to itself: the spikes it emits in
    /// step `t` arrive at its own input in step `t + 1` (absent: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recurrent: Option<Recurrent>,
}

/// A layer's recurrent synapses (docs/semantics.md section 3,
/// *Recurrence*): a spike of neuron `j` of the layer in step `t` adds
/// `weights[j][i]` to the synaptic input of its neuron `i` in step
/// `t + 1`, summed exactly with the feed-forward arrivals of that step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recurrent {
    /// Width of every recurrent weight (two's complement).
    pub width: u32,
    /// `weights[j][i]`: from neuron `j` of the layer to its neuron `i`,
    /// `N x N` fan-out rows like the feed-forward weights.
    pub weights: Matrix<i64>,
}

/// A map of spikes: channels, rows, columns. Neuron `(c, y, x)` of a map
/// of `C x H x W` is index `(c * H + y) * W + x` (channel-major, rows
/// row-major, as NIR and PyTorch flatten).
pub type Shape3 = [usize; 3];

/// A sum pool between two layers: each spike of neuron `(c, y, x)` of the
/// map `input` arrives as an event at `(c, y / ky, x / kx)` of the pooled
/// map `C x H/ky x W/kx` (the windows tile the map; stride = window).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SumPool {
    /// The map the previous layer's (or the inputs') spikes form.
    pub input: Shape3,
    /// Window rows and columns `[ky, kx]`.
    pub kernel: [usize; 2],
}

impl SumPool {
    /// The pooled map `C x H/ky x W/kx`.
    pub fn output(&self) -> Shape3 {
        let [c, h, w] = self.input;
        let [ky, kx] = self.kernel;
        [c, h / ky.max(1), w / kx.max(1)]
    }

    /// The pooled index an input index `j` arrives at.
    pub fn pooled(&self, j: usize) -> usize {
        let [_, h, w] = self.input;
        let [ky, kx] = self.kernel;
        let [_, ph, pw] = self.output();
        let (c, y, x) = (j / (h * w), j / w % h, j % w);
        (c * ph + y / ky) * pw + x / kx
    }
}

/// A 2-D convolution: output neuron `(o, oy, ox)` receives input `(c, iy,
/// ix)` with `iy = oy * sy - py + dy`, `ix = ox * sx - px + dx` through
/// weight `weights[o][c][dy][dx]` (docs/semantics.md section 3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conv2d {
    /// The input map `C_in x H x W`.
    pub input: Shape3,
    /// Output channels `C_out`.
    pub out_channels: usize,
    /// Kernel rows and columns `[kh, kw]`.
    pub kernel: [usize; 2],
    /// Row and column stride `[sy, sx]` (absent: 1, 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stride: Option<[usize; 2]>,
    /// Zero padding `[py, px]` on each side (absent: 0, 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub padding: Option<[usize; 2]>,
    /// `weights[o][c]` is the `kh x kw` kernel from input channel `c` to
    /// output channel `o`.
    pub weights: Vec<Vec<Matrix<i64>>>,
}

impl Conv2d {
    /// `[sy, sx]`.
    pub fn strides(&self) -> [usize; 2] {
        self.stride.unwrap_or([1, 1])
    }

    /// `[py, px]`.
    pub fn pads(&self) -> [usize; 2] {
        self.padding.unwrap_or([0, 0])
    }

    /// The output map `C_out x H_out x W_out`, `H_out = (H + 2 py - kh) /
    /// sy + 1`; `None` when the kernel does not fit the padded input or a
    /// stride is 0.
    pub fn output(&self) -> Option<Shape3> {
        let [_, h, w] = self.input;
        let [kh, kw] = self.kernel;
        let [sy, sx] = self.strides();
        let [py, px] = self.pads();
        let side = |n: usize, k: usize, s: usize, p: usize| {
            let padded = n.checked_add(p.checked_mul(2)?)?;
            (s > 0 && k > 0 && k <= padded).then(|| (padded - k) / s + 1)
        };
        Some([
            self.out_channels,
            side(h, kh, sy, py)?,
            side(w, kw, sx, px)?,
        ])
    }

    /// Weight `[o][c][dy][dx]`.
    pub fn weight(&self, o: usize, c: usize, dy: usize, dx: usize) -> i64 {
        self.weights[o][c][dy][dx]
    }
}

/// Per-synapse delays of one layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Delays {
    /// The largest delay the layer may use (`D_max`); hardware sizes its
    /// delay storage from it.
    pub max: u32,
    /// `values[j][i]`: delay of the synapse from `j` to `i`, same shape as
    /// the weights.
    pub values: Matrix<u32>,
}

/// Bit widths (two's complement, sign included) of a layer's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Widths {
    /// Width of every weight and bias value.
    pub weight: u32,
    /// Width of the membrane potential `v`.
    pub membrane: u32,
    /// Width of the threshold.
    pub threshold: u32,
    /// Width of the synaptic current `i` (kinds `cuba` and `ttfs` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<u32>,
    /// Width of the adaptation variable `w` (kind `adlif` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adaptation: Option<u32>,
}

/// A neuron kind with its parameters. See `docs/semantics.md`.
///
/// Read by hand (`crate::de`): every kind refuses every field it does not
/// take, which serde's derived reader does not do for a kind without
/// parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Neuron {
    /// Integrate-and-fire: `v <- v + x`.
    If,
    /// Leaky integrate-and-fire: `v <- leak(v) + x`.
    Lif {
        /// How the membrane decays each step.
        leak: Decay,
    },
    /// Current-based LIF: `i <- decay_i(i) + x; v <- decay_v(v) + i`.
    Cuba {
        /// Decay of the synaptic current; absent means none (`i` holds).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        current_decay: Option<Decay>,
        /// Decay of the membrane; absent means none (`v` holds).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        membrane_decay: Option<Decay>,
    },
    /// Time-to-first-spike: `cuba` without decays, firing at most once.
    Ttfs,
    /// Adaptive LIF (membrane plus adaptation variable), after Deckers et al.
    Adlif {
        /// Membrane decay factor in fixed point, `0..=2^frac_bits`.
        alpha: i64,
        /// Adaptation decay factor in fixed point, `0..=2^frac_bits`.
        beta: i64,
        /// Sub-threshold coupling of `v` into `w`, fixed point (signed).
        a: i64,
        /// Spike-triggered increment of `w`, an integer in `w`'s units.
        b: i64,
        /// Fraction bits `F` of `alpha`, `beta` and `a`.
        frac_bits: u32,
    },
}

impl Layer {
    /// The layer's reset timing (`immediate` when the field is absent).
    pub fn timing(&self) -> ResetTiming {
        self.reset_timing.unwrap_or_default()
    }

    /// The most spikes a neuron of the layer fires in one step (1 when
    /// the field is absent).
    pub fn spikes_per_step(&self) -> u32 {
        self.max_spikes.unwrap_or(1)
    }

    /// Whether the layer sees its input as a map: a `conv2d` or an
    /// `input_pool` (semantics §3, *Maps*).
    pub fn has_maps(&self) -> bool {
        self.conv2d.is_some() || self.input_pool.is_some()
    }

    /// The bias of each neuron, if the layer has one: a `conv2d` layer's
    /// per-channel bias repeated over its map.
    pub fn neuron_bias(&self) -> Option<Vec<i64>> {
        let bias = self.bias.as_ref()?;
        match &self.conv2d {
            None => Some(bias.clone()),
            Some(conv) => {
                let per_channel = self.size / conv.out_channels.max(1);
                Some(
                    bias.iter()
                        .flat_map(|&b| std::iter::repeat_n(b, per_channel))
                        .collect(),
                )
            }
        }
    }

    /// The shift from weight units to state units (0 when the field is
    /// absent).
    pub fn shift(&self) -> u32 {
        self.weight_shift.unwrap_or(0)
    }
}

impl Neuron {
    /// The name used for this kind in model files (`if`, `lif`, ...).
    pub fn kind_name(&self) -> &'static str {
        match self {
            Neuron::If => "if",
            Neuron::Lif { .. } => "lif",
            Neuron::Cuba { .. } => "cuba",
            Neuron::Ttfs => "ttfs",
            Neuron::Adlif { .. } => "adlif",
        }
    }

    /// Whether this kind keeps a synaptic current state `i`.
    pub fn has_current(&self) -> bool {
        matches!(self, Neuron::Cuba { .. } | Neuron::Ttfs)
    }

    /// Whether this kind keeps an adaptation state `w`.
    pub fn has_adaptation(&self) -> bool {
        matches!(self, Neuron::Adlif { .. })
    }
}

/// A decay applied to a state `x` once per step, written `{"shift": k}` or
/// `{"multiply": {"beta": b, "frac_bits": F}}` (read by `crate::de`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Decay {
    /// Shift decay: `x - (x >> k)`, a factor of `1 - 2^-k`.
    Shift(u32),
    /// Multiplier decay: `(x * beta) >> frac_bits`, a factor of
    /// `beta / 2^frac_bits`.
    Multiply {
        /// Factor in fixed point, `0..=2^frac_bits`.
        beta: i64,
        /// Fraction bits `F` of `beta`.
        frac_bits: u32,
    },
}

/// What happens to the membrane in the step a neuron spikes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Reset {
    /// `v <- v - threshold`.
    Subtract,
    /// `v <- 0`.
    Zero,
    /// `v` is left as it is.
    None,
}

impl Reset {
    /// The name used for this reset in model files (`subtract`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Reset::Subtract => "subtract",
            Reset::Zero => "zero",
            Reset::None => "none",
        }
    }
}

/// When the reset of a spike acts (docs/semantics.md section 4).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ResetTiming {
    /// In the step of the spike, right after the threshold test.
    #[default]
    Immediate,
    /// In the step after the spike, folded into that step's membrane
    /// update (subtract: `v = sat(U - theta)`; zero: `v = 0`).
    Deferred,
}

/// How the network's answer is read from its last layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Output {
    /// The decoding rule.
    pub decode: Decode,
}

/// Output decoding rules. Ties always go to the lowest neuron index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decode {
    /// The output neuron with the earliest spike wins; a neuron that never
    /// spikes counts as spiking at `T`.
    FirstSpike,
    /// The output neuron with the most spikes wins.
    SpikeCount,
    /// The last layer does not spike; the neuron with the largest membrane
    /// at the end of the sample wins.
    Readout,
}

// Read as one of their names, so that a value of another type (`5`,
// `null`) is refused with the names allowed.
crate::de::deserialize_by_name!(Reset, [
    "subtract" => Reset::Subtract,
    "zero" => Reset::Zero,
    "none" => Reset::None,
]);
crate::de::deserialize_by_name!(ResetTiming, [
    "immediate" => ResetTiming::Immediate,
    "deferred" => ResetTiming::Deferred,
]);
crate::de::deserialize_by_name!(Decode, [
    "first_spike" => Decode::FirstSpike,
    "spike_count" => Decode::SpikeCount,
    "readout" => Decode::Readout,
]);
