//! One sample's spike raster: a panel per layer (the input first), x the
//! step, y the neuron; the hardware's spikes as dots over the reference's
//! rings, and every place where the two disagree as a red cross.

mod draw;

use std::path::Path;

use spikegate_model::{Spike, ValidNetwork};

use crate::PlotError;

/// What one panel shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PanelSpikes {
    /// The input spikes (both sides receive the same).
    Input(Vec<Spike>),
    /// A layer the hardware brings out, beside the reference's.
    Compared {
        /// The hardware's spikes.
        hardware: Vec<Spike>,
        /// The reference's (or the expected file's) spikes.
        reference: Vec<Spike>,
    },
    /// The reference's spikes alone: a layer the hardware does not bring
    /// out (no tap), or every layer of a raster without hardware.
    Unobserved(Vec<Spike>),
}

/// One panel: a layer (or the input) and its spikes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Panel {
    /// The layer's name (`input` for the input).
    pub name: String,
    /// Its neurons: the y axis runs over `0..neurons`.
    pub neurons: u32,
    /// The spikes.
    pub spikes: PanelSpikes,
}

/// A place where the hardware and the reference disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Disagreement {
    /// The panel (0 is the input).
    pub panel: usize,
    /// The step and neuron.
    pub spike: Spike,
    /// How many times the hardware fired there, and the reference.
    pub counts: (usize, usize),
}

/// One sample's raster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Raster {
    /// The figure's title.
    pub title: String,
    /// What the dots are called in the legend (`hardware`, with its back
    /// end), or `None` for a raster of the reference alone.
    pub hardware_name: Option<String>,
    /// What the rings are called in the legend (`reference`, or
    /// `expected` for an expected file).
    pub reference_name: String,
    /// Steps per sample: the x axis runs over `0..steps`.
    pub steps: u32,
    /// The panels, top to bottom.
    pub panels: Vec<Panel>,
}

impl Raster {
    /// The raster of sample `sample` of `network`: its `input` spikes, the
    /// `hardware`'s spikes of every layer (used where `observed(layer)`;
    /// `None` for the reference alone) and the `reference`'s.
    pub fn of_sample(
        network: &ValidNetwork,
        sample: usize,
        input: &[Spike],
        hardware: Option<&[Vec<Spike>]>,
        reference: &[Vec<Spike>],
        observed: impl Fn(usize) -> bool,
    ) -> Raster {
        let net = network.network();
        let mut panels = vec![Panel {
            name: "input".into(),
            neurons: net.inputs as u32,
            spikes: PanelSpikes::Input(input.to_vec()),
        }];
        for (l, layer) in net.layers.iter().enumerate() {
            let want = reference.get(l).cloned().unwrap_or_default();
            let spikes = match hardware.and_then(|h| h.get(l)) {
                Some(got) if observed(l) => PanelSpikes::Compared {
                    hardware: got.clone(),
                    reference: want,
                },
                _ => PanelSpikes::Unobserved(want),
            };
            panels.push(Panel {
                name: network.layer_name(l),
                neurons: layer.size as u32,
                spikes,
            });
        }
        Raster {
            title: format!("{}, sample {sample}", net.name),
            hardware_name: hardware.map(|_| "hardware".into()),
            reference_name: "reference".into(),
            steps: net.time_steps,
            panels,
        }
    }

    /// Every (panel, step, neuron) where the hardware fired a different
    /// number of times than the reference, in panel, step, neuron order.
    /// Spikes sent in another order within a step are not a difference
    /// here: a raster cannot show order.
    pub fn disagreements(&self) -> Vec<Disagreement> {
        let mut found = Vec::new();
        for (p, panel) in self.panels.iter().enumerate() {
            if let PanelSpikes::Compared {
                hardware,
                reference,
            } = &panel.spikes
            {
                for (spike, counts) in differing_counts(hardware, reference) {
                    found.push(Disagreement {
                        panel: p,
                        spike,
                        counts,
                    });
                }
            }
        }
        found
    }

    /// Draws the raster into `path` (`.svg` or `.png`).
    pub fn draw(&self, path: &Path) -> Result<(), PlotError> {
        if self.steps == 0 || self.panels.is_empty() {
            return Err(PlotError::Data {
                path: path.to_path_buf(),
                message: "a raster needs at least one step and one panel".into(),
            });
        }
        crate::canvas::render(self, path)
    }
}

/// The places where `a` and `b` hold a spike a different number of times,
/// with both counts.
fn differing_counts(a: &[Spike], b: &[Spike]) -> Vec<(Spike, (usize, usize))> {
    let count = |list: &[Spike]| {
        let mut map = std::collections::BTreeMap::<(u32, u32), usize>::new();
        for s in list {
            *map.entry((s.step, s.neuron)).or_default() += 1;
        }
        map
    };
    let (a, b) = (count(a), count(b));
    let mut places: Vec<(u32, u32)> = a.keys().chain(b.keys()).copied().collect();
    places.sort_unstable();
    places.dedup();
    places
        .into_iter()
        .filter_map(|key| {
            let counts = (
                a.get(&key).copied().unwrap_or(0),
                b.get(&key).copied().unwrap_or(0),
            );
            (counts.0 != counts.1).then_some((Spike::new(key.0, key.1), counts))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sp(step: u32, neuron: u32) -> Spike {
        Spike::new(step, neuron)
    }

    #[test]
    fn disagreements_are_the_places_whose_counts_differ() {
        let raster = Raster {
            title: "t".into(),
            hardware_name: Some("hardware".into()),
            reference_name: "reference".into(),
            steps: 4,
            panels: vec![
                Panel {
                    name: "input".into(),
                    neurons: 2,
                    spikes: PanelSpikes::Input(vec![sp(0, 0)]),
                },
                Panel {
                    name: "hidden".into(),
                    neurons: 3,
                    spikes: PanelSpikes::Compared {
                        hardware: vec![sp(0, 1), sp(2, 2), sp(2, 2), sp(3, 0)],
                        reference: vec![sp(0, 1), sp(1, 0), sp(2, 2)],
                    },
                },
            ],
        };
        let found: Vec<(usize, u32, u32, (usize, usize))> = raster
            .disagreements()
            .iter()
            .map(|d| (d.panel, d.spike.step, d.spike.neuron, d.counts))
            .collect();
        assert_eq!(
            found,
            vec![(1, 1, 0, (0, 1)), (1, 2, 2, (2, 1)), (1, 3, 0, (1, 0))]
        );
    }

    #[test]
    fn the_same_spikes_in_another_order_agree() {
        assert!(differing_counts(&[sp(1, 2), sp(1, 0)], &[sp(1, 0), sp(1, 2)]).is_empty());
    }
}
