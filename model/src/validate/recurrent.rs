//! The rules of a layer's recurrent synapses (docs/model-format.md,
//! *Recurrence*; docs/semantics.md section 3): an `N x N` matrix of
//! integers of their own width, on a dense spiking layer.

use super::LayerCheck;
use crate::error::ModelError;
use crate::network::{Layer, Recurrent};

/// The recurrent synapses of `layer` (`N x N`; none without recurrence),
/// for the network's synapse limit.
pub(crate) fn recurrent_synapses(layer: &Layer) -> usize {
    layer
        .recurrent
        .as_ref()
        .map_or(0, |_| layer.size.saturating_mul(layer.size))
}

/// Adds what the recurrent synapses of `layer` can bring in one step to
/// each neuron's sums of negative (`neg`) and positive (`pos`) weights:
/// each weight as many times as its source fires in a step. `None` on
/// overflow.
pub(super) fn add_recurrent_sums(layer: &Layer, neg: &mut [i64], pos: &mut [i64]) -> Option<()> {
    let Some(recurrent) = &layer.recurrent else {
        return Some(());
    };
    let times = i64::from(layer.spikes_per_step());
    for row in &recurrent.weights {
        for (i, &w) in row.iter().enumerate() {
            let total = w.checked_mul(times)?;
            let sum = if w < 0 { &mut neg[i] } else { &mut pos[i] };
            *sum = sum.checked_add(total)?;
        }
    }
    Some(())
}

impl LayerCheck<'_> {
    /// `recurrent`: only on a dense spiking layer; its width in range; an
    /// `N x N` matrix whose every value fits that width.
    pub(super) fn check_recurrent(&self) -> Result<(), ModelError> {
        let Some(recurrent) = &self.layer.recurrent else {
            return Ok(());
        };
        if self.readout {
            return Err(self.err(
                "recurrent",
                "a readout layer does not spike, so it has nothing to feed back; remove recurrent",
            ));
        }
        if self.layer.conv2d.is_some() {
            return Err(self.err(
                "recurrent",
                "a conv2d layer cannot carry recurrent weights: recurrence connects every neuron \
                 of a dense layer to every other; put it on a dense layer",
            ));
        }
        self.check_width_at("recurrent.width", recurrent.width)?;
        self.check_recurrent_weights(recurrent)
    }

    fn check_recurrent_weights(&self, recurrent: &Recurrent) -> Result<(), ModelError> {
        let (n, weights) = (self.layer.size, &recurrent.weights);
        if weights.len() != n {
            return Err(self.err(
                "recurrent.weights",
                format!(
                    "expected {n} rows (one per neuron of this layer, the source), found {}",
                    weights.len()
                ),
            ));
        }
        if weights.row_len() != n {
            return Err(self.err(
                "recurrent.weights[0]",
                format!(
                    "expected {n} values (one per neuron of this layer, the target), found {}",
                    weights.row_len()
                ),
            ));
        }
        self.check_values_fit(
            "recurrent.weights",
            weights,
            recurrent.width,
            "recurrent weight",
        )
    }
}
