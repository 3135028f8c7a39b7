//! What the co-simulator needs to know of a design: its layers, whether
//! hidden layers are tapped, its steps and inputs — from the plan it was
//! built from, or from the `manifest.json` that `spikegate gen` wrote.

use spikegate_hdl::{BuildOptions, HardwarePlan};

/// The shape of a generated design, as the host sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesignInfo {
    /// Cores (layers); the last one drives the output stream.
    pub layers: usize,
    /// Whether hidden layers `0..layers-1` have tap ports.
    pub taps: bool,
    /// Time steps per sample.
    pub time_steps: u32,
    /// Input neurons.
    pub inputs: usize,
    /// The build options the design was generated with.
    pub options: BuildOptions,
    /// A generous bound on the cycles one beat may cost
    /// ([`spikegate_hdl::cycles::beat_cycle_budget`]).
    pub beat_cost: u64,
    /// Neurons of the last layer when it is a readout layer (its beats
    /// carry final membranes instead of spikes).
    pub readout: Option<usize>,
    /// Per layer: whether it sends a step's spikes in an order other than
    /// by neuron: a multi-spike layer fires a chunk at a time in rounds (a
    /// sweep, then a repeat per spike left), and a conv layer's words hold
    /// one position of `P` channels, a plane of neurons apart.
    pub unordered: Vec<bool>,
}

impl DesignInfo {
    /// The shape of the design built from `plan`.
    pub fn from_plan(plan: &HardwarePlan) -> Self {
        DesignInfo {
            layers: plan.cores.len(),
            taps: plan.options.taps,
            time_steps: plan.time_steps,
            inputs: plan.inputs,
            options: plan.options,
            beat_cost: spikegate_hdl::cycles::beat_cycle_budget(plan),
            readout: plan.cores.last().filter(|c| c.readout).map(|c| c.neurons),
            unordered: plan
                .cores
                .iter()
                .map(|c| c.max_spikes > 1 || c.conv.is_some())
                .collect(),
        }
    }

    /// Tap streams the design brings out.
    pub fn tap_count(&self) -> usize {
        if self.taps {
            self.layers - 1
        } else {
            0
        }
    }

    /// The layers whose spikes the host sees: every layer with taps, else
    /// only the last.
    pub fn observed(&self, layer: usize) -> bool {
        self.taps || layer + 1 == self.layers
    }
}
