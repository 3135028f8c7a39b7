//! Framework presets: what a NIR file leaves open, as the framework that
//! wrote it does it. NIR records the equations of a neuron but not the
//! time step an exporter assumed, not reset by subtraction, not when the
//! reset acts and not how an exporter scaled a current-based cell's input;
//! each framework answers those its own way (docs/import.md, one section
//! per framework; the facts behind each answer are checked against the
//! framework's own recorded spikes in `tests/fixtures/frameworks/`).

use std::path::Path;

use spikegate_model::{Reset, ResetTiming};

use crate::error::{ImportError, Remedy};
use crate::{ImportOptions, ResetRule};

/// The framework a NIR file came from (`--framework`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Framework {
    /// The NIR specification alone: reset to `v_reset` in the step of the
    /// spike, Euler-discretized inputs, no assumed time step.
    #[default]
    Nir,
    /// snnTorch 1.0 (`snntorch.export_nir`).
    Snntorch,
    /// Norse 1.1 (`norse.torch.to_nir`).
    Norse,
    /// Sinabs 3.1 (`sinabs.to_nir`).
    Sinabs,
    /// Rockpool 3.1 (`rockpool` NIR export).
    Rockpool,
}

/// The names `--framework` takes, in [`Framework`]'s order.
pub const FRAMEWORK_NAMES: &[&str] = &["nir", "snntorch", "norse", "sinabs", "rockpool"];

impl Framework {
    /// The framework of a `--framework` name.
    pub fn from_name(name: &str) -> Option<Framework> {
        Some(match name {
            "nir" => Framework::Nir,
            "snntorch" => Framework::Snntorch,
            "norse" => Framework::Norse,
            "sinabs" => Framework::Sinabs,
            "rockpool" => Framework::Rockpool,
            _ => return None,
        })
    }

    /// The `--framework` name.
    pub fn name(self) -> &'static str {
        FRAMEWORK_NAMES[self as usize]
    }

    /// The time step the exporter's time constants are written for, when
    /// it is fixed: snnTorch writes `tau = 1e-4 / (1 - beta)`; Norse runs
    /// at its default `dt = 1e-3` (and its export must be called with
    /// `dt = 1`, docs/import.md).
    pub fn default_dt(self) -> Option<f64> {
        match self {
            Framework::Snntorch => Some(1e-4),
            Framework::Norse => Some(1e-3),
            Framework::Nir | Framework::Sinabs | Framework::Rockpool => None,
        }
    }

    /// The reset of every spiking layer, from the user's `rule` and what
    /// the framework does; an error when the file cannot tell and the user
    /// did not say.
    pub fn reset(self, file: &Path, rule: ResetRule) -> Result<Reset, ImportError> {
        Ok(match (self, rule) {
            (_, ResetRule::Zero) => Reset::Zero,
            (_, ResetRule::Subtract) => Reset::Subtract,
            (Framework::Snntorch, ResetRule::Nir) => {
                return Err(ImportError::field(
                    file,
                    "reset",
                    "snnTorch's NIR export does not record reset_mechanism, and a network \
                     trained with \"subtract\" (snn.Leaky's and snn.Synaptic's default) exports \
                     exactly like one trained with \"zero\": say which it was",
                )
                .fixed_by(Remedy::Option("reset")))
            }
            // Sinabs' IAF (MembraneSubtract) and Rockpool's LIFTorch subtract.
            (Framework::Sinabs | Framework::Rockpool, ResetRule::Nir) => Reset::Subtract,
            (Framework::Nir | Framework::Norse, ResetRule::Nir) => Reset::Zero,
        })
    }

    /// When a layer of NIR type `kind` with reset `reset` resets, for a
    /// node that feeds itself back (`recurrent`) or not. snnTorch (with
    /// `reset_delay`, its default) pays a subtract in the next step, and
    /// so do `Synaptic`, `RSynaptic` and `RLeaky` a reset to zero (they
    /// zero the whole new membrane of the step after the spike); `Leaky`'s
    /// reset to zero zeroes the old membrane before the decay, which is the
    /// immediate reset. Every other framework resets in the step of the
    /// spike.
    pub fn timing(self, kind: &str, reset: Reset, recurrent: bool) -> ResetTiming {
        match (self, reset, kind) {
            (Framework::Snntorch, Reset::Subtract, _) => ResetTiming::Deferred,
            (Framework::Snntorch, Reset::Zero, "CubaLIF") => ResetTiming::Deferred,
            (Framework::Snntorch, Reset::Zero, "LIF") if recurrent => ResetTiming::Deferred,
            _ => ResetTiming::Immediate,
        }
    }

    /// Whether a `CubaLIF`'s input current enters its synaptic current
    /// scaled by `dt / tau_syn` (NIR's Euler step, and snnTorch, which
    /// writes `w_in = tau_syn / dt` to undo it) or in full (Norse, whose
    /// `LIFCell` adds its input straight into `i` but exports `w_in = 1`).
    pub fn euler_current_input(self) -> bool {
        self != Framework::Norse
    }

    /// Whether a neuron fires at `v >= threshold` (Sinabs, Rockpool) rather than at
    /// NIR's strict `v > threshold`.
    pub fn inclusive_threshold(self) -> bool {
        matches!(self, Framework::Sinabs | Framework::Rockpool)
    }

    /// Whether a spiking node of NIR type `kind` fires `floor(v /
    /// threshold)` spikes a step: Sinabs' IAF (its default `MultiSpike`,
    /// which `sinabs.from_nir` rebuilds) and Rockpool's `LIFTorch` (up to
    /// its `max_spikes_per_dt`, 2^16 by default).
    pub fn multi_spike(self, kind: &str) -> bool {
        match self {
            Framework::Sinabs => kind == "IF",
            Framework::Rockpool => kind == "CubaLIF",
            _ => false,
        }
    }

    /// The lower bound on a node's membrane as a multiple of its
    /// threshold: Sinabs' IAF, as `sinabs.from_nir` rebuilds it, clips at
    /// `min_v_mem = -v_threshold`.
    pub fn membrane_floor(self, kind: &str) -> Option<f64> {
        (self == Framework::Sinabs && kind == "IF").then_some(-1.0)
    }
}

/// `options` with the preset applied where the user gave nothing: its
/// time step, and its reset (an error when the file cannot tell it and
/// the preset does not know it either).
pub fn with_preset(file: &Path, options: &ImportOptions) -> Result<ImportOptions, ImportError> {
    let framework = options.framework;
    Ok(ImportOptions {
        dt: options.dt.or(framework.default_dt()),
        // NIR files reset to zero unless told otherwise (`ResetRule::Nir`
        // means more only to a .npz spec, which takes no preset).
        reset: match framework.reset(file, options.reset)? {
            Reset::Subtract => ResetRule::Subtract,
            _ => ResetRule::Zero,
        },
        ..options.clone()
    })
}
