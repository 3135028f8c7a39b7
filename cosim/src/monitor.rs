//! The monitor: every observed stream's beats turned into spikes with
//! their step (the step is the number of end-of-step beats seen before),
//! and the cycle in which each step ended (to place a waveform window).

use spikegate_model::Spike;

/// A stream carried more end-of-step beats than the sample has steps.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("layer {layer} sent more than {steps} end-of-step markers (cycle {cycle})")]
pub struct ExtraSteps {
    /// The layer.
    pub layer: usize,
    /// Steps per sample.
    pub steps: u32,
    /// Cycle of the extra marker.
    pub cycle: u64,
}

/// Spikes of every layer of one sample, as they arrived.
#[derive(Debug, Clone)]
pub struct Monitor {
    steps: u32,
    /// Per layer, the spikes in arrival order.
    pub spikes: Vec<Vec<Spike>>,
    /// Per layer, the cycle (from `start`) of each end-of-step beat.
    pub step_ends: Vec<Vec<u64>>,
}

impl Monitor {
    /// A monitor of `layers` streams of a `steps`-step sample.
    pub fn new(layers: usize, steps: u32) -> Self {
        Monitor {
            steps,
            spikes: vec![Vec::new(); layers],
            step_ends: vec![Vec::new(); layers],
        }
    }

    /// Records a beat of `layer` that moved in `cycle`.
    pub fn observe(
        &mut self,
        layer: usize,
        eos: bool,
        neuron: u16,
        cycle: u64,
    ) -> Result<(), ExtraSteps> {
        let step = self.step_ends[layer].len() as u32;
        if step >= self.steps {
            return Err(ExtraSteps {
                layer,
                steps: self.steps,
                cycle,
            });
        }
        if eos {
            self.step_ends[layer].push(cycle);
        } else {
            self.spikes[layer].push(Spike::new(step, u32::from(neuron)));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beats_become_spikes_with_their_step() {
        let mut m = Monitor::new(1, 2);
        m.observe(0, false, 4, 10).unwrap();
        m.observe(0, true, 0, 11).unwrap();
        m.observe(0, false, 1, 12).unwrap();
        m.observe(0, false, 3, 13).unwrap();
        m.observe(0, true, 0, 14).unwrap();
        assert_eq!(
            m.spikes[0],
            vec![Spike::new(0, 4), Spike::new(1, 1), Spike::new(1, 3)]
        );
        assert_eq!(m.step_ends[0], vec![11, 14]);
        let e = m.observe(0, false, 2, 15).unwrap_err();
        assert_eq!(
            e.to_string(),
            "layer 0 sent more than 2 end-of-step markers (cycle 15)"
        );
    }
}
