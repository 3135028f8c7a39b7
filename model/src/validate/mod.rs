//! Validation: every rule a model must meet before anything runs it.
//!
//! Each rule that fails gives a [`ModelError`] naming the layer and field.
//! The first failure found is returned; the order is top-level fields, then
//! layers in order, each layer's fields in the order of the format page.

use crate::error::ModelError;
use crate::matrix::Matrix;
use crate::network::{Decay, Decode, Layer, Network, Neuron, Reset, ResetTiming, MODEL_FORMAT};
use crate::width::{fits, range_of, width_for_range};

pub use crate::limits;

/// A network that has passed validation. Only this type is accepted by the
/// reference model and, later, by the hardware generator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidNetwork {
    network: Network,
}

impl ValidNetwork {
    /// The validated description.
    pub fn network(&self) -> &Network {
        &self.network
    }

    /// Gives back the description.
    pub fn into_inner(self) -> Network {
        self.network
    }

    /// Number of presynaptic neurons feeding layer `index`.
    pub fn fan_in(&self, index: usize) -> usize {
        fan_in(&self.network, index)
    }

    /// What layer `index`'s synapses see: its presynaptic neurons, or the
    /// pooled map behind its `input_pool`.
    pub fn synaptic_inputs(&self, index: usize) -> usize {
        synaptic_inputs(&self.network.layers[index], self.fan_in(index))
    }

    /// The display name of layer `index`: its own name, or `layer<index>`.
    pub fn layer_name(&self, index: usize) -> String {
        match &self.network.layers[index].name {
            Some(name) => name.clone(),
            None => format!("layer{index}"),
        }
    }

    /// Whether layer `index` spikes (every layer but a readout layer).
    pub fn is_spiking(&self, index: usize) -> bool {
        !(self.network.output.decode == Decode::Readout && index + 1 == self.network.layers.len())
    }

    /// The smallest and largest value the synaptic input `x` of any neuron of
    /// layer `index` can take in one step (weights of all synapses that can
    /// deliver together, plus bias).
    pub fn input_range(&self, index: usize) -> (i64, i64) {
        let (lo, hi) = self.sum_ranges(index).1;
        let k = self.network.layers[index].shift();
        (lo << k, hi << k)
    }

    /// The smallest and largest partial sum of arriving weights into any
    /// neuron of layer `index` in one step, before the bias enters: whatever
    /// the arrival order, every partial sum lies between the sum of the
    /// neuron's negative weights and the sum of its positive ones.
    pub fn partial_sum_range(&self, index: usize) -> (i64, i64) {
        self.sum_ranges(index).0
    }

    /// The partial-sum range and the input range (with bias) of layer
    /// `index`, in one pass over its weights.
    fn sum_ranges(&self, index: usize) -> ((i64, i64), (i64, i64)) {
        sum_ranges(&self.network, index)
            .expect("validated: the synaptic sums of every layer fit 64 bits")
    }

    /// Width of the accumulator that holds layer `index`'s synaptic input
    /// for every possible set of arriving spikes, without overflow: every
    /// partial sum of the weights arriving in a step, and that sum plus the
    /// bias (`docs/semantics.md` section 3).
    pub fn accumulator_width(&self, index: usize) -> u32 {
        let ((plo, phi), (lo, hi)) = self.sum_ranges(index);
        width_for_range(plo.min(lo), phi.max(hi))
    }
}

mod maps;
mod recurrent;

use maps::{synapse_count, synaptic_inputs};
use recurrent::add_recurrent_sums;
pub(crate) use recurrent::recurrent_synapses;

/// The most spikes one presynaptic neuron of layer `index` sends in a
/// step: the presynaptic layer's `max_spikes` (1 for the inputs).
fn presynaptic_spikes(network: &Network, index: usize) -> i64 {
    match index {
        0 => 1,
        _ => i64::from(network.layers[index - 1].spikes_per_step()),
    }
}

/// The partial-sum and input ranges of layer `index` (see
/// [`ValidNetwork::partial_sum_range`]), or `None` when they do not fit
/// 64 bits.
fn sum_ranges(network: &Network, index: usize) -> Option<((i64, i64), (i64, i64))> {
    let layer = &network.layers[index];
    // Per neuron: every negative (positive) weight, each as many times
    // as its synapse can deliver in a step. Plain weight sums are
    // bounded by MAX_SYNAPSES * 2^31 < 2^58; times up to 255 spikes a
    // step they may not fit i64, hence the checked products.
    let times = presynaptic_spikes(network, index).checked_mul(maps::pool_window(layer))?;
    let (mut neg, mut pos) = maps::signed_sums(layer);
    for v in neg.iter_mut().chain(pos.iter_mut()) {
        *v = v.checked_mul(times)?;
    }
    add_recurrent_sums(layer, &mut neg, &mut pos)?;
    let neuron_bias = layer.neuron_bias();
    let bias = |i: usize| neuron_bias.as_ref().map_or(0, |b| b[i]);
    let mut partial = (0, 0);
    let mut with_bias = (i64::MAX, i64::MIN);
    for i in 0..layer.size {
        partial = (partial.0.min(neg[i]), partial.1.max(pos[i]));
        with_bias = (
            with_bias.0.min(neg[i].checked_add(bias(i))?),
            with_bias.1.max(pos[i].checked_add(bias(i))?),
        );
    }
    if layer.size == 0 {
        with_bias = (0, 0);
    }
    // Within 2^62 either way, also in state units, so that a state plus
    // an input never overflows the reference's 64-bit lanes.
    let limit = 1i64 << 62;
    let fits = |(lo, hi): (i64, i64)| lo > -limit && hi < limit;
    let shifted = layer.shift().min(limits::MAX_WEIGHT_SHIFT);
    let in_state_units = (
        with_bias.0.checked_mul(1 << shifted)?,
        with_bias.1.checked_mul(1 << shifted)?,
    );
    (fits(partial) && fits(with_bias) && fits(in_state_units)).then_some((partial, with_bias))
}

fn fan_in(network: &Network, index: usize) -> usize {
    if index == 0 {
        network.inputs
    } else {
        network.layers[index - 1].size
    }
}

/// Checks `network` against every rule of `docs/model-format.md`.
pub fn validate(network: Network) -> Result<ValidNetwork, ModelError> {
    check_top(&network)?;
    let mut synapses = 0usize;
    for (index, layer) in network.layers.iter().enumerate() {
        let fan_in = fan_in(&network, index);
        let readout = network.output.decode == Decode::Readout && index + 1 == network.layers.len();
        let check = LayerCheck {
            index,
            layer,
            fan_in,
            inputs: synaptic_inputs(layer, fan_in),
            readout,
        };
        check.run()?;
        synapses = synapses
            .saturating_add(synapse_count(layer, check.inputs))
            .saturating_add(recurrent_synapses(layer));
        if synapses > limits::MAX_SYNAPSES {
            return Err(check.err(
                "weights",
                format!(
                    "the network has more than {} synapses up to this layer; that is more than spikegate accepts",
                    limits::MAX_SYNAPSES
                ),
            ));
        }
        if sum_ranges(&network, index).is_none() {
            return Err(check.err(
                "weights",
                format!(
                    "with up to {} spikes a step from each presynaptic neuron and a weight_shift of {}, \
                     the synaptic sum of one step does not fit 63 bits (use narrower weights, a smaller \
                     max_spikes or a smaller weight_shift)",
                    presynaptic_spikes(&network, index),
                    layer.shift()
                ),
            ));
        }
    }
    Ok(ValidNetwork { network })
}

fn check_top(n: &Network) -> Result<(), ModelError> {
    if n.format != MODEL_FORMAT {
        return Err(ModelError::field(
            "format",
            format!("expected \"{MODEL_FORMAT}\", found \"{}\"", n.format),
        ));
    }
    if n.time_steps == 0 || n.time_steps > limits::MAX_TIME_STEPS {
        return Err(ModelError::field(
            "time_steps",
            format!(
                "must be between 1 and {}, not {}",
                limits::MAX_TIME_STEPS,
                n.time_steps
            ),
        ));
    }
    if n.inputs == 0 || n.inputs > limits::MAX_LAYER_SIZE {
        return Err(ModelError::field(
            "inputs",
            format!(
                "must be between 1 and {}, not {}",
                limits::MAX_LAYER_SIZE,
                n.inputs
            ),
        ));
    }
    if n.layers.is_empty() || n.layers.len() > limits::MAX_LAYERS {
        return Err(ModelError::field(
            "layers",
            format!(
                "a network needs between 1 and {} layers, not {}",
                limits::MAX_LAYERS,
                n.layers.len()
            ),
        ));
    }
    Ok(())
}

/// The checks of one layer, with what they need to phrase their errors.
struct LayerCheck<'a> {
    index: usize,
    layer: &'a Layer,
    /// Presynaptic neurons: the previous layer's, or the inputs.
    fan_in: usize,
    /// What the synapses see: `fan_in`, or the pooled map's size.
    inputs: usize,
    readout: bool,
}

impl LayerCheck<'_> {
    fn err(&self, field: impl Into<String>, message: impl Into<String>) -> ModelError {
        ModelError::layer(self.index, self.layer.name.as_deref(), field, message)
    }

    fn run(&self) -> Result<(), ModelError> {
        let l = self.layer;
        if l.size == 0 || l.size > limits::MAX_LAYER_SIZE {
            return Err(self.err(
                "size",
                format!(
                    "a layer needs between 1 and {} neurons, not {}",
                    limits::MAX_LAYER_SIZE,
                    l.size
                ),
            ));
        }
        self.check_widths()?;
        self.check_neuron()?;
        self.check_threshold_and_reset()?;
        self.check_spikes_and_floor()?;
        self.check_weight_shift()?;
        self.check_pool()?;
        match &l.conv2d {
            Some(conv) => self.check_conv(conv)?,
            None => self.check_weights()?,
        }
        self.check_bias()?;
        self.check_delays()?;
        self.check_recurrent()
    }

    fn check_width(&self, field: &str, width: u32) -> Result<(), ModelError> {
        self.check_width_at(&format!("widths.{field}"), width)
    }

    /// A width, found at `field`, in the range every width must lie in.
    fn check_width_at(&self, field: &str, width: u32) -> Result<(), ModelError> {
        if limits::WIDTHS.contains(&width) {
            Ok(())
        } else {
            Err(self.err(
                field,
                format!(
                    "widths must be between {} and {} bits, not {width}",
                    limits::WIDTHS.start(),
                    limits::WIDTHS.end()
                ),
            ))
        }
    }

    fn check_widths(&self) -> Result<(), ModelError> {
        let w = &self.layer.widths;
        let kind = self.layer.neuron.kind_name();
        self.check_width("weight", w.weight)?;
        self.check_width("membrane", w.membrane)?;
        self.check_width("threshold", w.threshold)?;
        match (self.layer.neuron.has_current(), w.current) {
            (true, Some(c)) => self.check_width("current", c)?,
            (true, None) => {
                return Err(self.err(
                    "widths.current",
                    format!("a `{kind}` neuron keeps a synaptic current; give its width"),
                ))
            }
            (false, Some(_)) => {
                return Err(self.err(
                    "widths.current",
                    format!("a `{kind}` neuron has no synaptic current state; remove this width"),
                ))
            }
            (false, None) => {}
        }
        match (self.layer.neuron.has_adaptation(), w.adaptation) {
            (true, Some(a)) => self.check_width("adaptation", a),
            (true, None) => Err(self.err(
                "widths.adaptation",
                "an `adlif` neuron keeps an adaptation variable; give its width",
            )),
            (false, Some(_)) => Err(self.err(
                "widths.adaptation",
                format!("a `{kind}` neuron has no adaptation variable; remove this width"),
            )),
            (false, None) => Ok(()),
        }
    }

    /// A decay of a state `width` bits wide, found at `field`.
    fn check_decay(&self, field: &str, decay: &Decay, width: u32) -> Result<(), ModelError> {
        match *decay {
            Decay::Shift(k) => {
                if k == 0 || k >= width {
                    return Err(self.err(
                        format!("{field}.shift"),
                        format!("the shift must be between 1 and {} (one less than the {width}-bit state it decays), not {k}", width - 1),
                    ));
                }
            }
            Decay::Multiply { beta, frac_bits } => {
                self.check_frac_bits(&format!("{field}.multiply.frac_bits"), frac_bits)?;
                self.check_factor(&format!("{field}.multiply.beta"), beta, frac_bits)?;
            }
        }
        Ok(())
    }

    fn check_frac_bits(&self, field: &str, frac_bits: u32) -> Result<(), ModelError> {
        if frac_bits == 0 || frac_bits > limits::MAX_FRAC_BITS {
            return Err(self.err(
                field,
                format!(
                    "fraction bits must be between 1 and {}, not {frac_bits}",
                    limits::MAX_FRAC_BITS
                ),
            ));
        }
        Ok(())
    }

    /// A decay factor must lie in `0..=1.0`, that is `0..=2^frac_bits`.
    fn check_factor(&self, field: &str, value: i64, frac_bits: u32) -> Result<(), ModelError> {
        let one = 1i64 << frac_bits;
        if !(0..=one).contains(&value) {
            return Err(self.err(
                field,
                format!("a decay factor must be between 0 and {one} (1.0 with {frac_bits} fraction bits), not {value}"),
            ));
        }
        Ok(())
    }

    fn check_neuron(&self) -> Result<(), ModelError> {
        let w = &self.layer.widths;
        match &self.layer.neuron {
            Neuron::If | Neuron::Ttfs => Ok(()),
            Neuron::Lif { leak } => self.check_decay("neuron.leak", leak, w.membrane),
            Neuron::Cuba {
                current_decay,
                membrane_decay,
            } => {
                if let (Some(d), Some(width)) = (current_decay, w.current) {
                    self.check_decay("neuron.current_decay", d, width)?;
                }
                if let Some(d) = membrane_decay {
                    self.check_decay("neuron.membrane_decay", d, w.membrane)?;
                }
                Ok(())
            }
            Neuron::Adlif {
                alpha,
                beta,
                a,
                b,
                frac_bits,
            } => {
                self.check_frac_bits("neuron.frac_bits", *frac_bits)?;
                self.check_factor("neuron.alpha", *alpha, *frac_bits)?;
                self.check_factor("neuron.beta", *beta, *frac_bits)?;
                if !fits(*a, limits::COEFF_WIDTH) {
                    let (lo, hi) = range_of(limits::COEFF_WIDTH);
                    return Err(self.err(
                        "neuron.a",
                        format!(
                            "{a} does not fit the {}-bit coefficient width ({lo}..={hi})",
                            limits::COEFF_WIDTH
                        ),
                    ));
                }
                let aw = w.adaptation.unwrap_or(limits::WIDTHS.end().to_owned());
                if !fits(*b, aw) {
                    let (lo, hi) = range_of(aw);
                    return Err(self.err(
                        "neuron.b",
                        format!("{b} does not fit the {aw}-bit adaptation width ({lo}..={hi})"),
                    ));
                }
                Ok(())
            }
        }
    }

    fn check_threshold_and_reset(&self) -> Result<(), ModelError> {
        let l = self.layer;
        if self.readout {
            if l.threshold.is_some() {
                return Err(self.err(
                    "threshold",
                    "a readout layer does not spike; remove its threshold",
                ));
            }
            if l.reset.is_some() {
                return Err(self.err("reset", "a readout layer does not spike; remove its reset"));
            }
            if l.reset_timing.is_some() {
                return Err(self.err(
                    "reset_timing",
                    "a readout layer does not spike; remove its reset_timing",
                ));
            }
            return Ok(());
        }
        let Some(theta) = l.threshold else {
            return Err(self.err("threshold", "a spiking layer needs a threshold"));
        };
        if l.reset.is_none() {
            return Err(self.err(
                "reset",
                "a spiking layer needs a reset mode: \"subtract\", \"zero\" or \"none\"",
            ));
        }
        if l.reset == Some(Reset::None) && l.timing() == ResetTiming::Deferred {
            return Err(self.err(
                "reset_timing",
                "reset \"none\" has nothing to defer; use \"immediate\" or leave reset_timing out",
            ));
        }
        let tw = l.widths.threshold;
        if !fits(theta, tw) {
            let (lo, hi) = range_of(tw);
            return Err(self.err(
                "threshold",
                format!("{theta} does not fit the {tw}-bit threshold width ({lo}..={hi})"),
            ));
        }
        if theta < 1 {
            return Err(self.err(
                "threshold",
                format!("the threshold must be at least 1, not {theta}: a neuron at rest (v = 0) would fire"),
            ));
        }
        let (_, vmax) = range_of(l.widths.membrane);
        if theta > vmax {
            return Err(self.err(
                "threshold",
                format!(
                    "{theta} exceeds the largest {}-bit membrane value {vmax}; the neuron could never fire",
                    l.widths.membrane
                ),
            ));
        }
        Ok(())
    }

    /// `max_spikes` (1..=255, 1 for `ttfs`, absent in a readout layer) and
    /// `membrane_floor` (a membrane value below the threshold).
    fn check_spikes_and_floor(&self) -> Result<(), ModelError> {
        let l = self.layer;
        if let Some(m) = l.max_spikes {
            if self.readout {
                return Err(self.err(
                    "max_spikes",
                    "a readout layer does not spike; remove its max_spikes",
                ));
            }
            if !(1..=limits::MAX_SPIKES_PER_STEP).contains(&m) {
                return Err(self.err(
                    "max_spikes",
                    format!(
                        "must be between 1 and {}, not {m}",
                        limits::MAX_SPIKES_PER_STEP
                    ),
                ));
            }
            if m > 1 && matches!(l.neuron, Neuron::Ttfs) {
                return Err(self.err(
                    "max_spikes",
                    "a ttfs neuron fires at most once a sample, so it cannot fire several spikes a step",
                ));
            }
        }
        let Some(floor) = l.membrane_floor else {
            return Ok(());
        };
        let mw = l.widths.membrane;
        if !fits(floor, mw) {
            let (lo, hi) = range_of(mw);
            return Err(self.err(
                "membrane_floor",
                format!("{floor} does not fit the {mw}-bit membrane width ({lo}..={hi})"),
            ));
        }
        if let Some(theta) = l.threshold.filter(|&t| floor >= t) {
            return Err(self.err(
                "membrane_floor",
                format!("{floor} is not below the threshold {theta}: a neuron held there would fire every step"),
            ));
        }
        Ok(())
    }

    /// `weight_shift` (0..=32, below the width of the state the input
    /// enters: the current of `cuba` and `ttfs`, else the membrane).
    fn check_weight_shift(&self) -> Result<(), ModelError> {
        let l = self.layer;
        let Some(k) = l.weight_shift else {
            return Ok(());
        };
        if k > limits::MAX_WEIGHT_SHIFT {
            return Err(self.err(
                "weight_shift",
                format!(
                    "must be between 0 and {}, not {k}",
                    limits::MAX_WEIGHT_SHIFT
                ),
            ));
        }
        let (state, width) = match (&l.neuron, l.widths.current) {
            (Neuron::Cuba { .. } | Neuron::Ttfs, Some(c)) => ("current", c),
            _ => ("membrane", l.widths.membrane),
        };
        if k >= width {
            return Err(self.err(
                "weight_shift",
                format!(
                    "{k} makes a weight of 1 worth 2^{k}, beyond the {width}-bit {state} it enters"
                ),
            ));
        }
        Ok(())
    }

    fn check_matrix_shape<T>(&self, field: &str, matrix: &Matrix<T>) -> Result<(), ModelError> {
        let rows = matrix.len();
        if rows != self.inputs {
            let per = if self.layer.input_pool.is_some() {
                "pooled input"
            } else {
                "presynaptic neuron"
            };
            return Err(self.err(
                field,
                format!(
                    "expected {} rows (one per {per}), found {rows}",
                    self.inputs
                ),
            ));
        }
        // Every row is as long as row 0 (the reader refuses a ragged row),
        // so row 0 stands for all: a wrong length is found there first.
        let len = matrix.row_len();
        if rows > 0 && len != self.layer.size {
            return Err(self.err(
                format!("{field}[0]"),
                format!(
                    "expected {} values (one per neuron of this layer), found {len}",
                    self.layer.size
                ),
            ));
        }
        Ok(())
    }

    fn check_weights(&self) -> Result<(), ModelError> {
        let l = self.layer;
        self.check_matrix_shape("weights", &l.weights)?;
        self.check_values_fit("weights", &l.weights, l.widths.weight, "weight")
    }

    /// Every value of `matrix` (found at `field`) fits `width` bits, the
    /// width of the layer's `what`.
    fn check_values_fit(
        &self,
        field: &str,
        matrix: &Matrix<i64>,
        width: u32,
        what: &str,
    ) -> Result<(), ModelError> {
        for (j, row) in matrix.iter().enumerate() {
            if let Some(i) = row.iter().position(|&w| !fits(w, width)) {
                let (lo, hi) = range_of(width);
                return Err(self.err(
                    format!("{field}[{j}][{i}]"),
                    format!(
                        "{} does not fit the {width}-bit {what} width ({lo}..={hi})",
                        row[i]
                    ),
                ));
            }
        }
        Ok(())
    }

    fn check_bias(&self) -> Result<(), ModelError> {
        let l = self.layer;
        let Some(bias) = &l.bias else { return Ok(()) };
        let (want, per) = match &l.conv2d {
            Some(conv) => (conv.out_channels, "output channel"),
            None => (l.size, "neuron"),
        };
        if bias.len() != want {
            return Err(self.err(
                "bias",
                format!(
                    "expected {want} values (one per {per}), found {}",
                    bias.len()
                ),
            ));
        }
        let ww = l.widths.weight;
        if let Some(i) = bias.iter().position(|&b| !fits(b, ww)) {
            let (lo, hi) = range_of(ww);
            return Err(self.err(
                format!("bias[{i}]"),
                format!(
                    "{} does not fit the {ww}-bit weight width ({lo}..={hi})",
                    bias[i]
                ),
            ));
        }
        Ok(())
    }

    fn check_delays(&self) -> Result<(), ModelError> {
        let Some(delays) = &self.layer.delays else {
            return Ok(());
        };
        if self.layer.conv2d.is_some() {
            return Err(self.err(
                "delays",
                "a conv2d layer carries no delays (its synapses share weights)",
            ));
        }
        if delays.max > limits::MAX_DELAY {
            return Err(self.err(
                "delays.max",
                format!(
                    "the largest delay must be at most {}, not {}",
                    limits::MAX_DELAY,
                    delays.max
                ),
            ));
        }
        let slots = (delays.max as usize + 1) * self.layer.size;
        if slots > limits::MAX_DELAY_SLOTS {
            return Err(self.err(
                "delays.max",
                format!(
                    "{} delay slots x {} neurons = {slots} accumulators, more than the {} spikegate accepts; lower the largest delay",
                    delays.max as usize + 1,
                    self.layer.size,
                    limits::MAX_DELAY_SLOTS
                ),
            ));
        }
        self.check_matrix_shape("delays.values", &delays.values)?;
        for (j, row) in delays.values.iter().enumerate() {
            if let Some(i) = row.iter().position(|&d| d > delays.max) {
                return Err(self.err(
                    format!("delays.values[{j}][{i}]"),
                    format!(
                        "{} is above the layer's maximum delay {}",
                        row[i], delays.max
                    ),
                ));
            }
        }
        Ok(())
    }
}
