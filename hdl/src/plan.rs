//! The hardware plan: a validated network turned into one core per layer
//! with every width, size and memory layout fixed, or a clear error saying
//! why the hardware cannot hold it.
//!
//! This is the stage between the model and the rust-hdl modules
//! (model -> validated model -> **plan** -> modules -> Verilog): everything
//! the modules need is computed here once, so that the modules only build.

use crate::memory::BlockRam;
use spikegate_model::width::width_for_range;
use spikegate_model::{
    Conv2d, Decay, Decode, Matrix, ModelError, Neuron, Reset, ResetTiming, SumPool, ValidNetwork,
};

/// Width of a neuron index on every spike stream (`in_neuron`,
/// `out_neuron`, taps): layers and inputs may have up to `2^16` neurons.
pub const NEURON_BITS: usize = 16;
/// Most processing elements (lanes) in one core; the fired-lane mask is 64
/// bits wide.
pub const MAX_PE: usize = 64;
/// Widest accumulator a lane keeps. The synaptic sum of one step must fit
/// it (`spikegate check` reports the width a layer needs).
pub const MAX_ACCUMULATOR_WIDTH: u32 = 40;

/// Most delay slots (`D_max + 1`) of a layer: each neuron keeps one
/// accumulator a slot in its neuron-memory lane.
pub const MAX_DELAY_SLOTS: u32 = 64;
/// Most spikes a hardware neuron fires in a step (`max_spikes`): the PE
/// counts them with one comparison against each multiple of the threshold.
pub const MAX_SPIKES: u32 = 15;
/// Depth of the AER FIFO in front of every core (a power of two, at most
/// 256: the FIFO's pointers are 9 bits).
pub const DEFAULT_FIFO_DEPTH: usize = 16;

/// Choices made at generation time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuildOptions {
    /// Processing elements per core (`--pe`). A layer smaller than this gets
    /// one lane per neuron.
    pub pe: usize,
    /// Whether the hidden layers' spike streams are brought out as tap ports.
    pub taps: bool,
    /// Depth of each core's input FIFO (a power of two, 2..=256).
    pub fifo_depth: usize,
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions {
            pe: 1,
            taps: false,
            fifo_depth: DEFAULT_FIFO_DEPTH,
        }
    }
}

/// Why a network cannot be built as hardware.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// Something in the model the hardware cannot hold (names layer, field).
    #[error(transparent)]
    Model(#[from] ModelError),
    /// A build option out of range.
    #[error("{0}")]
    Option(String),
    /// Processing elements per core out of `1..=MAX_PE`.
    #[error("{pe} processing elements per core: the hardware takes 1..={MAX_PE}")]
    ProcessingElements {
        /// The number asked for.
        pe: usize,
    },
}

/// The neuron update a core's processing elements perform at the end of a
/// step (docs/semantics.md, section 4), for the kinds this hardware has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Update {
    /// `v = sat(v + x)`.
    If,
    /// `v = sat(v - (v >> k) + x)`.
    LifShift(u32),
    /// `v = sat(((v * beta) >> frac_bits) + x)`.
    LifMultiply {
        /// Leak factor in fixed point.
        beta: i64,
        /// Fraction bits of `beta`.
        frac_bits: u32,
    },
    /// `i = sat(i + x); v = sat(v + i)`, firing at most once.
    Ttfs,
    /// `i = sat(D_i(i) + x); v = sat(D_v(v) + i)`; an absent decay holds.
    Cuba {
        /// Decay of the synaptic current.
        current: Option<Decay>,
        /// Decay of the membrane.
        membrane: Option<Decay>,
    },
    /// `w = sat(((beta*w + a*v) >> F) + b*s); v = sat(((alpha*v) >> F) + x - w)`.
    Adlif {
        /// Membrane factor.
        alpha: i64,
        /// Adaptation factor.
        beta: i64,
        /// Coupling of `v` into `w`.
        a: i64,
        /// Spike-triggered increment of `w`.
        b: i64,
        /// Fraction bits `F` of `alpha`, `beta`, `a`.
        frac_bits: u32,
    },
}

impl Update {
    /// Short name used in module names (`if`, `lifs`, `lifm`, `ttfs`).
    pub fn tag(&self) -> &'static str {
        match self {
            Update::If => "if",
            Update::LifShift(_) => "lifs",
            Update::LifMultiply { .. } => "lifm",
            Update::Ttfs => "ttfs",
            Update::Cuba { .. } => "cuba",
            Update::Adlif { .. } => "adlif",
        }
    }
}

/// Bit positions of one lane's fields inside a neuron-memory word, from
/// the least significant bit: `slots` accumulators of `acc` bits (one per
/// delay slot, slot `s` at `[s*acc +: acc]`), `v`, then `i` (`cuba`, `ttfs`), `w`
/// (`adlif`), the flag (`ttfs`: fired; `adlif`: spiked last step), the
/// owed-reset count of a deferred reset and the spikes still to fire of a
/// multi-spike layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LaneLayout {
    /// Width of the synaptic accumulator (of each delay slot).
    pub acc: u32,
    /// Delay slots `S = D_max + 1`: a ring of accumulators, one per step
    /// of delay (1 for a layer without delays).
    pub slots: u32,
    /// Width of the membrane `v`.
    pub membrane: u32,
    /// Width of the current `i`, for kinds that have one.
    pub current: Option<u32>,
    /// Width of the adaptation `w`, for kinds that have one.
    pub adaptation: Option<u32>,
    /// Whether the lane keeps a one-bit flag: `ttfs` fired before,
    /// `adlif` spiked in the previous step.
    pub flag: bool,
    /// Width of the owed-reset count `r` of a deferred reset (the spikes
    /// of the previous step; 0: the layer resets immediately).
    pub owed: u32,
    /// Width of the count of spikes a multi-spike neuron still fires in
    /// this step, one per repeat of the sweep (0: one spike a step), the
    /// most significant field.
    pub rem: u32,
}

impl LaneLayout {
    /// Bits of one lane in the neuron memory.
    pub fn bits(&self) -> u32 {
        self.slots * self.acc
            + self.membrane
            + self.current.unwrap_or(0)
            + self.adaptation.unwrap_or(0)
            + u32::from(self.flag)
            + self.owed
            + self.rem
    }
}

/// One layer's core: sizes, arithmetic and memory contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorePlan {
    /// Layer index in the network.
    pub index: usize,
    /// Display name of the layer (reports).
    pub name: String,
    /// Neurons `N` of the layer.
    pub neurons: usize,
    /// Synaptic inputs `M`: the presynaptic neurons (the previous layer,
    /// or the inputs), or the pooled map behind an `input_pool`.
    pub fan_in: usize,
    /// Presynaptic neurons whose spikes arrive on the input stream (`M`
    /// unless the layer pools its input).
    pub arrivals: usize,
    /// Processing elements `P` of this core (`min(--pe, N)`; a `conv2d`
    /// layer: `min(--pe, C_out)`).
    pub lanes: usize,
    /// Neuron-memory words (chunks) `C`. Dense: `ceil(N / P)`, lane `k` of
    /// chunk `c` is neuron `c * P + k`. Conv: `plane * Q`, lane `k` of
    /// word `n * Q + q` is output channel `q * P + k` at position `n`,
    /// neuron `(q * P + k) * plane + n` (see [`CorePlan::neuron_of`]).
    pub chunks: usize,
    /// Channel chunks `Q`: a conv layer's `ceil(C_out / P)`; `C` for a
    /// dense layer (whose "channels" are its neurons).
    pub channel_chunks: usize,
    /// Neurons between two lanes of one word: a conv layer's output
    /// positions a channel, `H_out * W_out`; 1 for a dense layer.
    pub plane: usize,
    /// The convolution, if the layer is one (its weights live here, not in
    /// `weights`).
    pub conv: Option<Conv2d>,
    /// The sum pool in front of the layer, if any: the core's spike
    /// decoder remaps each arriving spike to its pooled position.
    pub pool: Option<SumPool>,
    /// The update the lanes perform.
    pub update: Update,
    /// Width of weights and biases.
    pub weight_width: u32,
    /// Layout of a lane's state.
    pub lane: LaneLayout,
    /// The network's non-spiking readout layer: it never fires, and in the
    /// last step it sends every neuron's membrane instead.
    pub readout: bool,
    /// Steps per sample `T` (a readout core sends its membranes in the
    /// last).
    pub time_steps: u32,
    /// Firing threshold (`v >= threshold`).
    pub threshold: i64,
    /// Reset after a spike.
    pub reset: Reset,
    /// When the reset acts: in the step of the spike, or in the next.
    pub timing: ResetTiming,
    /// The most spikes a neuron fires in a step (`max_spikes`): the sweep
    /// fires the first, and each repeat of the chunk one more.
    pub max_spikes: u32,
    /// The lower bound on the membrane at the end of a sweep, if any.
    pub floor: Option<i64>,
    /// Weights as fan-out rows, `weights[j][i]`.
    pub weights: Matrix<i64>,
    /// Synaptic delays as fan-out rows, `delays[j][i]`, if the layer has
    /// delay slots.
    pub delays: Option<Matrix<u32>>,
    /// Recurrent weights as fan-out rows, `recurrent[j][i]` from neuron `j`
    /// of the layer to its neuron `i`, if the layer feeds its spikes back.
    /// The weight memory holds them as `N` more synaptic inputs after the
    /// `M` feed-forward ones ([`CorePlan::row_inputs`]), and the core's
    /// spike list replays each spike of step `t` as arrival `arrivals + j`
    /// in step `t + 1` ([`crate::core`]).
    pub recurrent: Option<Matrix<i64>>,
    /// Per-neuron bias, if the layer has one.
    pub bias: Option<Vec<i64>>,
    /// The layer's `weight_shift`: a sweep adds `(acc + bias) << k` to the
    /// state, so the accumulator holds weight units and stays narrow.
    pub weight_shift: u32,
    /// How the weight and neuron memories are built (the target's family
    /// sets it: [`HardwarePlan::for_block_ram`]).
    pub block_ram: BlockRam,
}

impl CorePlan {
    /// Rows of the weight memory, then `Q` bias rows (bias row `q` holds the
    /// bias of channel chunk `q`). Dense: `C * M` weight rows, row `c * M +
    /// j` holds the weights from `j` to chunk `c`. Conv: `C_in * kh * kw *
    /// Q` tap rows, row `t * Q + q` holds tap `t = (c * kh + dy) * kw + dx`
    /// to output channels `q * P ..`.
    pub fn weight_rows(&self) -> usize {
        self.bias_base() + self.bias_rows()
    }

    /// Number of bias rows (`Q` when the layer has a bias, else 0).
    pub fn bias_rows(&self) -> usize {
        if self.bias.is_some() {
            self.channel_chunks
        } else {
            0
        }
    }

    /// First bias row of the weight memory (the number of weight rows).
    pub fn bias_base(&self) -> usize {
        match &self.conv {
            Some(conv) => {
                let [c_in, _, _] = conv.input;
                let [kh, kw] = conv.kernel;
                c_in * kh * kw * self.channel_chunks
            }
            None => self.chunks * self.row_inputs(),
        }
    }

    /// Neurons whose spikes a recurrent layer feeds back (`N`; 0 without
    /// recurrence).
    pub fn feedback(&self) -> usize {
        if self.recurrent.is_some() {
            self.neurons
        } else {
            0
        }
    }

    /// Weight rows a dense chunk has: the `M` synaptic inputs, then the
    /// `N` recurrent ones.
    pub fn row_inputs(&self) -> usize {
        self.fan_in + self.feedback()
    }

    /// The indices the walker takes: the `arrivals` of the input stream,
    /// then the layer's own `N` neurons replayed from the spike list.
    pub fn sources(&self) -> usize {
        self.arrivals + self.feedback()
    }

    /// Entries of the spike list: every spike the layer may fire in one
    /// step (`N * max_spikes`; 0 without recurrence).
    pub fn spike_list_depth(&self) -> usize {
        self.feedback() * self.max_spikes as usize
    }

    /// Bits of one spike-list entry: a source index.
    pub fn spike_list_entry_bits(&self) -> u32 {
        crate::datapath::address_bits(self.sources())
    }

    /// Bits of the spike list.
    pub fn spike_list_bits(&self) -> usize {
        self.spike_list_depth() * self.spike_list_entry_bits() as usize
    }

    /// The `P` values of weight-memory row `row` (lanes past the last
    /// neuron or channel hold 0).
    pub fn weight_row(&self, row: usize) -> Vec<i64> {
        let lane_value = |k: usize| -> i64 {
            if row >= self.bias_base() {
                let n = (row - self.bias_base()) * self.lanes + k;
                let bias = self.bias.as_deref().unwrap_or(&[]);
                return bias.get(n).copied().unwrap_or(0);
            }
            match &self.conv {
                Some(conv) => {
                    let [kh, kw] = conv.kernel;
                    let (tap, q) = (row / self.channel_chunks, row % self.channel_chunks);
                    let (c, dy, dx) = (tap / (kh * kw), tap / kw % kh, tap % kw);
                    let o = q * self.lanes + k;
                    if o < conv.out_channels {
                        conv.weight(o, c, dy, dx)
                    } else {
                        0
                    }
                }
                None => {
                    let (c, j) = (row / self.row_inputs(), row % self.row_inputs());
                    let n = c * self.lanes + k;
                    let rows = match (&self.recurrent, j.checked_sub(self.fan_in)) {
                        (Some(recurrent), Some(from)) => &recurrent[from],
                        _ => &self.weights[j],
                    };
                    rows.get(n).copied().unwrap_or(0)
                }
            }
        };
        (0..self.lanes).map(lane_value).collect()
    }

    /// The neuron lane `lane` of neuron-memory word `word` holds (may be
    /// past the last neuron or channel: such a lane never fires).
    pub fn neuron_of(&self, word: usize, lane: usize) -> usize {
        let (position, q) = (word / self.channel_chunks, word % self.channel_chunks);
        (q * self.lanes + lane) * self.plane + position
    }

    /// The neuron-memory word that holds `neuron` (the inverse of
    /// [`CorePlan::neuron_of`]).
    pub fn word_of(&self, neuron: usize) -> usize {
        let (channel, position) = (neuron / self.plane, neuron % self.plane);
        position * self.channel_chunks + channel / self.lanes
    }

    /// The lane that holds `neuron` in its word ([`CorePlan::word_of`]):
    /// its channel modulo `P` (a dense layer's channels are its neurons).
    pub fn lane_of(&self, neuron: usize) -> usize {
        neuron / self.plane % self.lanes
    }

    /// Whether the layer sees its input as a map: its spikes go through
    /// the core's decode table ([`crate::walk`]).
    pub fn has_maps(&self) -> bool {
        self.conv.is_some() || self.pool.is_some()
    }

    /// The `P` delays of weight-memory row `row` (0 for bias rows, lanes
    /// past the last neuron, and layers without delays).
    pub fn delay_row(&self, row: usize) -> Vec<u32> {
        let lane_delay = |k: usize| -> u32 {
            match &self.delays {
                Some(d) if row < self.bias_base() => {
                    let (c, j) = (row / self.row_inputs(), row % self.row_inputs());
                    // Recurrent synapses have no delay: step t + 1 exactly.
                    d.get(j)
                        .and_then(|r| r.get(c * self.lanes + k))
                        .copied()
                        .unwrap_or(0)
                }
                _ => 0,
            }
        };
        (0..self.lanes).map(lane_delay).collect()
    }

    /// Bits of a lane's delay in the weight memory (0 without delays).
    pub fn delay_bits(&self) -> u32 {
        if self.lane.slots > 1 {
            u32::BITS - (self.lane.slots - 1).leading_zeros()
        } else {
            0
        }
    }

    /// Bits of one lane of a weight-memory word: the weight, and above it
    /// the delay.
    pub fn weight_lane_bits(&self) -> u32 {
        self.weight_width + self.delay_bits()
    }

    /// Bits of one weight-memory word (`P` weights with their delays).
    pub fn weight_word_bits(&self) -> usize {
        self.lanes * self.weight_lane_bits() as usize
    }

    /// Bits of one neuron-memory word (`P` lanes of state).
    pub fn state_word_bits(&self) -> usize {
        self.lanes * self.lane.bits() as usize
    }

    /// Total bits of the weight memory.
    pub fn weight_memory_bits(&self) -> usize {
        self.weight_rows() * self.weight_word_bits()
    }

    /// Total bits of the neuron (state) memory.
    pub fn state_memory_bits(&self) -> usize {
        self.chunks * self.state_word_bits()
    }

    /// Stable Verilog module-name stem derived from the core's parameters,
    /// e.g. `sg_l1_ttfs_n300_m100_p4`.
    pub fn module_stem(&self) -> String {
        let maps = match (&self.conv, &self.pool) {
            (Some(_), _) => "_conv",
            (None, Some(_)) => "_pool",
            (None, None) => "",
        };
        format!(
            "sg_l{}_{}{maps}_n{}_m{}_p{}",
            self.index,
            self.update.tag(),
            self.neurons,
            self.fan_in,
            self.lanes
        )
    }
}

/// The whole accelerator: its cores in order and its build options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HardwarePlan {
    /// Network name.
    pub name: String,
    /// Time steps `T` per sample.
    pub time_steps: u32,
    /// Input neurons.
    pub inputs: usize,
    /// One core per layer.
    pub cores: Vec<CorePlan>,
    /// The options the plan was made with.
    pub options: BuildOptions,
}

impl HardwarePlan {
    /// The plan with every core's memories built as `block_ram`.
    pub fn for_block_ram(mut self, block_ram: BlockRam) -> Self {
        for core in &mut self.cores {
            core.block_ram = block_ram;
        }
        self
    }
}

/// Plans the hardware for `network`, or says what the hardware cannot hold.
pub fn plan(network: &ValidNetwork, options: BuildOptions) -> Result<HardwarePlan, PlanError> {
    check_options(&options)?;
    let net = network.network();
    if net.inputs > 1 << NEURON_BITS {
        return Err(ModelError::field(
            "inputs",
            format!(
                "{} inputs exceed the {}-bit neuron index of the spike streams (at most {})",
                net.inputs,
                NEURON_BITS,
                1 << NEURON_BITS
            ),
        )
        .into());
    }
    let cores = (0..net.layers.len())
        .map(|index| plan_core(network, index, &options))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(HardwarePlan {
        name: net.name.clone(),
        time_steps: net.time_steps,
        inputs: net.inputs,
        cores,
        options,
    })
}

fn check_options(options: &BuildOptions) -> Result<(), PlanError> {
    if !(1..=MAX_PE).contains(&options.pe) {
        return Err(PlanError::ProcessingElements { pe: options.pe });
    }
    let depth = options.fifo_depth;
    if !(2..=256).contains(&depth) || !depth.is_power_of_two() {
        return Err(PlanError::Option(format!(
            "FIFO depth {depth}: must be a power of two in 2..=256"
        )));
    }
    Ok(())
}

/// The update a core's lanes perform for neuron kind `neuron`.
fn update_of(neuron: &Neuron) -> Update {
    match neuron {
        Neuron::If => Update::If,
        Neuron::Lif {
            leak: Decay::Shift(k),
        } => Update::LifShift(*k),
        Neuron::Lif {
            leak: Decay::Multiply { beta, frac_bits },
        } => Update::LifMultiply {
            beta: *beta,
            frac_bits: *frac_bits,
        },
        Neuron::Ttfs => Update::Ttfs,
        Neuron::Cuba {
            current_decay,
            membrane_decay,
        } => Update::Cuba {
            current: *current_decay,
            membrane: *membrane_decay,
        },
        Neuron::Adlif {
            alpha,
            beta,
            a,
            b,
            frac_bits,
        } => Update::Adlif {
            alpha: *alpha,
            beta: *beta,
            a: *a,
            b: *b,
            frac_bits: *frac_bits,
        },
    }
}

fn plan_core(
    network: &ValidNetwork,
    index: usize,
    options: &BuildOptions,
) -> Result<CorePlan, PlanError> {
    let layer = &network.network().layers[index];
    let err = |field: &str, message: String| -> PlanError {
        ModelError::layer(index, layer.name.as_deref(), field, message).into()
    };
    if layer.conv2d.is_some() && net_readout(network, index) {
        return Err(err(
            "conv2d",
            "the hardware's readout core is dense: a readout layer cannot be a conv2d (end the \
             network with a dense layer, or run it in the reference, `spikegate sim`)"
                .to_owned(),
        ));
    }
    let arrivals = network.fan_in(index);
    if arrivals > 1 << NEURON_BITS {
        return Err(err(
            "size",
            format!(
                "{arrivals} presynaptic neurons exceed the {NEURON_BITS}-bit neuron index of the \
                 spike streams"
            ),
        ));
    }
    let max_spikes = layer.spikes_per_step();
    if layer.recurrent.is_some() {
        check_feedback(arrivals, layer.size, max_spikes).map_err(|m| err("recurrent", m))?;
    }
    if max_spikes > MAX_SPIKES {
        return Err(err(
            "max_spikes",
            format!(
                "the hardware fires at most {MAX_SPIKES} spikes a neuron a step (a chain of \
                 comparisons counts them), and this layer fires up to {max_spikes}; give a \
                 smaller max_spikes, or run it in the reference (`spikegate sim`)"
            ),
        ));
    }
    // Bits of a spike count 0..=max_spikes.
    let count_bits = u32::BITS - max_spikes.leading_zeros();
    let update = update_of(&layer.neuron);
    let slots = match &layer.delays {
        Some(d) if d.max > 0 => d.max + 1,
        _ => 1,
    };
    if slots > MAX_DELAY_SLOTS {
        return Err(err(
            "delays.max",
            format!(
                "delays up to {} steps need {slots} accumulator slots a neuron; the hardware holds \
                 at most {MAX_DELAY_SLOTS} (delays up to {})",
                slots - 1,
                MAX_DELAY_SLOTS - 1
            ),
        ));
    }
    if layer.size > 1 << NEURON_BITS {
        return Err(err(
            "size",
            format!(
                "{} neurons exceed the {}-bit neuron index of the spike streams (at most {})",
                layer.size,
                NEURON_BITS,
                1 << NEURON_BITS
            ),
        ));
    }
    let (lo, hi) = network.partial_sum_range(index);
    // At least 2 bits, the narrowest signed field the PE declares.
    let acc = width_for_range(lo, hi).max(2);
    if acc > MAX_ACCUMULATOR_WIDTH {
        return Err(err(
            "weights",
            format!(
                "the synaptic sum of one step needs a {acc}-bit accumulator; the datapath holds \
                 at most {MAX_ACCUMULATOR_WIDTH} bits (use narrower weights or fewer inputs)"
            ),
        ));
    }
    let (lanes, plane) = match &layer.conv2d {
        Some(conv) => (
            options.pe.min(conv.out_channels),
            layer.size / conv.out_channels,
        ),
        None => (options.pe.min(layer.size), 1),
    };
    let channel_chunks = (layer.size / plane).div_ceil(lanes);
    let neuron = &layer.neuron;
    // A readout layer never resets (validation gives it no timing).
    let timing = layer.timing();
    Ok(CorePlan {
        index,
        name: network.layer_name(index),
        neurons: layer.size,
        fan_in: network.synaptic_inputs(index),
        arrivals,
        lanes,
        chunks: plane * channel_chunks,
        channel_chunks,
        plane,
        conv: layer.conv2d.clone(),
        pool: layer.input_pool.clone(),
        update,
        // One weight memory holds both: its lanes take the wider width.
        weight_width: layer
            .recurrent
            .as_ref()
            .map_or(layer.widths.weight, |r| r.width.max(layer.widths.weight)),
        lane: LaneLayout {
            acc,
            slots,
            membrane: layer.widths.membrane,
            current: layer.widths.current.filter(|_| neuron.has_current()),
            adaptation: layer.widths.adaptation.filter(|_| neuron.has_adaptation()),
            flag: matches!(update, Update::Ttfs | Update::Adlif { .. }),
            owed: if timing == ResetTiming::Deferred {
                count_bits
            } else {
                0
            },
            rem: if max_spikes > 1 { count_bits } else { 0 },
        },
        readout: net_readout(network, index),
        time_steps: network.network().time_steps,
        // A spiking layer always has both (validation); a readout layer
        // never compares or resets.
        threshold: layer.threshold.unwrap_or(1),
        reset: layer.reset.unwrap_or(Reset::None),
        timing,
        max_spikes,
        floor: layer.membrane_floor,
        weights: layer.weights.clone(),
        delays: layer
            .delays
            .as_ref()
            .filter(|_| slots > 1)
            .map(|d| d.values.clone()),
        recurrent: layer.recurrent.as_ref().map(|r| r.weights.clone()),
        bias: layer.bias.clone(),
        weight_shift: layer.shift(),
        block_ram: BlockRam::Inferred,
    })
}

/// Whether a recurrent layer of `size` neurons behind `arrivals` inputs
/// fits the core: its replayed spikes take the walker's indices
/// `arrivals..arrivals + size`, and its spike list holds a step's spikes,
/// both within the 16-bit neuron index.
fn check_feedback(arrivals: usize, size: usize, max_spikes: u32) -> Result<(), String> {
    let sources = arrivals + size;
    if sources > 1 << NEURON_BITS {
        return Err(format!(
            "a recurrent layer replays its own spikes as inputs {arrivals}..{sources}, past the \
             {NEURON_BITS}-bit neuron index of the core (at most {} inputs and neurons together)",
            1 << NEURON_BITS
        ));
    }
    let list = size * max_spikes as usize;
    if list >= 1 << NEURON_BITS {
        return Err(format!(
            "the spike list that replays a step's spikes needs {list} entries ({size} neurons x \
             {max_spikes} spikes); the core holds fewer than {}",
            1 << NEURON_BITS
        ));
    }
    Ok(())
}

/// Whether layer `index` is the network's non-spiking readout layer.
fn net_readout(network: &ValidNetwork, index: usize) -> bool {
    let net = network.network();
    net.output.decode == Decode::Readout && index + 1 == net.layers.len()
}

#[cfg(test)]
mod tests {
    use super::check_feedback;

    #[test]
    fn a_recurrent_layer_must_fit_the_neuron_index_and_the_spike_list() {
        assert_eq!(check_feedback(60_000, 5_536, 1), Ok(()));
        let index = check_feedback(60_000, 5_537, 1).unwrap_err();
        assert!(
            index.contains("inputs 60000..65537, past the 16-bit neuron index"),
            "{index}"
        );
        let list = check_feedback(10, 4_370, 15).unwrap_err();
        assert!(
            list.contains("needs 65550 entries (4370 neurons x 15 spikes)"),
            "{list}"
        );
        assert_eq!(check_feedback(10, 4_369, 15), Ok(()));
    }
}
