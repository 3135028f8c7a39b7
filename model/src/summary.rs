//! The figures `spikegate check` prints about a validated network.

use serde::Serialize;

use crate::validate::ValidNetwork;

/// Size figures of one layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LayerSummary {
    /// Display name.
    pub name: String,
    /// Neuron kind (`if`, `lif`, ...).
    pub kind: &'static str,
    /// Neurons in the layer.
    pub neurons: usize,
    /// Synapses into the layer (fan-in times neurons, plus `N x N`
    /// recurrent ones).
    pub synapses: usize,
    /// Bits of weight storage: the weights (a conv layer's kernels) times
    /// the weight width, plus the recurrent weights times theirs.
    pub weight_bits: u64,
    /// Bits of delay storage: synapses times the bits of the largest delay
    /// (0 without delays).
    pub delay_bits: u64,
    /// Two's-complement width that holds the layer's synaptic input for
    /// any set of arriving spikes: every partial sum of the weights arriving
    /// in a step, and that sum plus the bias (`docs/semantics.md` section 3).
    pub accumulator_width: u32,
    /// Whether the layer spikes (false for a readout layer).
    pub spiking: bool,
}

/// Size figures of a whole network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Per layer, in order.
    pub layers: Vec<LayerSummary>,
    /// Neurons in all layers (inputs not counted).
    pub neurons: usize,
    /// Synapses in all layers.
    pub synapses: usize,
    /// Weight storage of all layers, in bits.
    pub weight_bits: u64,
    /// Delay storage of all layers, in bits.
    pub delay_bits: u64,
    /// The largest accumulator width of any layer.
    pub max_accumulator_width: u32,
}

/// Bits needed to store values `0..=max`.
fn bits_for(max: u32) -> u32 {
    32 - max.leading_zeros()
}

impl Summary {
    /// Computes the figures of `network`.
    pub fn of(network: &ValidNetwork) -> Summary {
        let layers: Vec<LayerSummary> = network
            .network()
            .layers
            .iter()
            .enumerate()
            .map(|(index, layer)| {
                let inputs = network.synaptic_inputs(index);
                // A conv layer's neurons share its kernels: its synapses
                // are every neuron's taps, its weights the kernels.
                let (synapses, weights) = match &layer.conv2d {
                    None => (inputs * layer.size, inputs * layer.size),
                    Some(conv) => {
                        let taps = conv.input[0] * conv.kernel[0] * conv.kernel[1];
                        (layer.size * taps, conv.out_channels * taps)
                    }
                };
                let delay_width = layer.delays.as_ref().map_or(0, |d| bits_for(d.max));
                // Recurrent synapses: N x N at their own width, no delays.
                let recurrent = crate::validate::recurrent_synapses(layer);
                let recurrent_bits =
                    recurrent as u64 * u64::from(layer.recurrent.as_ref().map_or(0, |r| r.width));
                LayerSummary {
                    name: network.layer_name(index),
                    kind: layer.neuron.kind_name(),
                    neurons: layer.size,
                    synapses: synapses + recurrent,
                    weight_bits: weights as u64 * u64::from(layer.widths.weight) + recurrent_bits,
                    delay_bits: synapses as u64 * u64::from(delay_width),
                    accumulator_width: network.accumulator_width(index),
                    spiking: network.is_spiking(index),
                }
            })
            .collect();
        Summary {
            neurons: layers.iter().map(|l| l.neurons).sum(),
            synapses: layers.iter().map(|l| l.synapses).sum(),
            weight_bits: layers.iter().map(|l| l.weight_bits).sum(),
            delay_bits: layers.iter().map(|l| l.delay_bits).sum(),
            max_accumulator_width: layers
                .iter()
                .map(|l| l.accumulator_width)
                .max()
                .unwrap_or(0),
            layers,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delay_bits() {
        assert_eq!(bits_for(0), 0);
        assert_eq!(bits_for(1), 1);
        assert_eq!(bits_for(7), 3);
        assert_eq!(bits_for(8), 4);
        assert_eq!(bits_for(32), 6);
    }
}
