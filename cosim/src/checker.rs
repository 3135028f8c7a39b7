//! The checker: the hardware's spikes against the reference model's, in
//! order, layer by layer, and the first difference named exactly.

use std::fmt;

use spikegate_model::Spike;

use crate::design::DesignInfo;
use crate::session::SampleRun;

/// The first place where the hardware and the reference disagree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// Sample index.
    pub sample: usize,
    /// Layer index.
    pub layer: usize,
    /// Layer name.
    pub layer_name: String,
    /// Step.
    pub step: u32,
    /// The first neuron on which they differ, if the sets of spikes differ
    /// (`None` when the same spikes came out in another order).
    pub neuron: Option<u32>,
    /// Whether the reference fires that neuron in that step.
    pub reference_fires: bool,
    /// The reference's spikes of that layer and step, by neuron.
    pub expected: Vec<u32>,
    /// The hardware's spikes of that layer and step, in arrival order.
    pub actual: Vec<u32>,
    /// Cycle (from `start`) at which the hardware closed that step on that
    /// layer, if it did.
    pub cycle: Option<u64>,
    /// A readout layer's final membrane of `neuron`: the reference's and
    /// the hardware's (the spike lists are then empty).
    pub membrane: Option<(i64, i64)>,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "sample {}, layer {} ({}), step {}",
            self.sample, self.layer, self.layer_name, self.step
        )?;
        if let (Some((want, got)), Some(n)) = (self.membrane, self.neuron) {
            return write!(
                f,
                ", neuron {n}: final membrane {got} in the hardware, {want} in the reference"
            );
        }
        match self.neuron {
            Some(n) if self.reference_fires => write!(
                f,
                ", neuron {n}: the reference fires, the hardware does not"
            )?,
            Some(n) => write!(
                f,
                ", neuron {n}: the hardware fires, the reference does not"
            )?,
            None => write!(f, ": the hardware sent the right spikes in the wrong order")?,
        }
        write!(
            f,
            " (reference spikes {:?}, hardware spikes {:?}",
            self.expected, self.actual
        )?;
        if let Some(c) = self.cycle {
            write!(
                f,
                "; the hardware closed that step in cycle {c} after start"
            )?;
        }
        write!(f, ")")
    }
}

/// Compares one sample's hardware run with the reference's spikes
/// (`reference[l]` sorted by step, then neuron) and, for a readout
/// network, its final membranes (`membranes`, else empty); returns the
/// first difference. Layers the design does not bring out are skipped.
pub fn check_sample(
    sample: usize,
    info: &DesignInfo,
    layer_names: &[String],
    reference: &[Vec<Spike>],
    membranes: &[i64],
    hardware: &SampleRun,
) -> Option<Mismatch> {
    for (l, want) in reference.iter().enumerate() {
        if !info.observed(l) {
            continue;
        }
        let got = &hardware.layers[l];
        if got == want {
            continue;
        }
        let step_of = |s: &Spike| s.step;
        let in_step = |list: &[Spike], t: u32| -> Vec<u32> {
            list.iter()
                .filter(|s| s.step == t)
                .map(|s| s.neuron)
                .collect()
        };
        // The earliest step whose spike list differs.
        let steps = want.iter().map(step_of).chain(got.iter().map(step_of));
        let step = steps
            .filter(|&t| in_step(want, t) != in_step(got, t))
            .min()
            .expect("the lists differ, so some step does");
        let expected = in_step(want, step);
        let actual = in_step(got, step);
        let mut sorted = actual.clone();
        sorted.sort_unstable();
        let missing = expected.iter().find(|n| !sorted.contains(n)).copied();
        let extra = sorted.iter().find(|n| !expected.contains(n)).copied();
        let (neuron, reference_fires) = match (missing, extra) {
            (Some(m), Some(x)) if x < m => (Some(x), false),
            (Some(m), _) => (Some(m), true),
            (None, Some(x)) => (Some(x), false),
            (None, None) => (None, true),
        };
        return Some(Mismatch {
            sample,
            layer: l,
            layer_name: layer_names.get(l).cloned().unwrap_or_default(),
            step,
            neuron,
            reference_fires,
            expected,
            actual,
            cycle: hardware.step_ends[l].get(step as usize).copied(),
            membrane: None,
        });
    }
    let n = (0..membranes.len().max(hardware.membranes.len()))
        .find(|&n| membranes.get(n) != hardware.membranes.get(n))?;
    // A readout layer's final membranes.
    let last = info.layers - 1;
    Some(Mismatch {
        sample,
        layer: last,
        layer_name: layer_names.get(last).cloned().unwrap_or_default(),
        step: info.time_steps.saturating_sub(1),
        neuron: Some(n as u32),
        reference_fires: false,
        expected: Vec::new(),
        actual: Vec::new(),
        cycle: hardware.step_ends[last].last().copied(),
        membrane: Some((
            membranes.get(n).copied().unwrap_or(0),
            hardware.membranes.get(n).copied().unwrap_or(0),
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use spikegate_hdl::BuildOptions;

    fn info() -> DesignInfo {
        DesignInfo {
            layers: 2,
            taps: true,
            time_steps: 4,
            inputs: 3,
            options: BuildOptions::default(),
            beat_cost: 1,
            readout: None,
            unordered: vec![false; 2],
        }
    }

    fn run(layers: Vec<Vec<Spike>>) -> SampleRun {
        SampleRun {
            layers,
            step_ends: vec![vec![10, 20, 30, 40], vec![11, 21, 31, 41]],
            cycles: 50,
            membranes: Vec::new(),
        }
    }

    fn sp(step: u32, neuron: u32) -> Spike {
        Spike::new(step, neuron)
    }

    fn names() -> Vec<String> {
        vec!["hidden".into(), "out".into()]
    }

    #[test]
    fn equal_spikes_pass() {
        let reference = vec![vec![sp(0, 1), sp(2, 0)], vec![sp(3, 2)]];
        let hw = run(reference.clone());
        assert_eq!(
            check_sample(0, &info(), &names(), &reference, &[], &hw),
            None
        );
    }

    #[test]
    fn a_missing_spike_is_named_by_layer_step_and_neuron() {
        let reference = vec![vec![sp(0, 1), sp(2, 0), sp(2, 5)], vec![sp(3, 2)]];
        let hw = run(vec![vec![sp(0, 1), sp(2, 5)], vec![sp(3, 2)]]);
        let m = check_sample(7, &info(), &names(), &reference, &[], &hw).expect("a mismatch");
        assert_eq!(
            (m.sample, m.layer, m.step, m.neuron, m.reference_fires),
            (7, 0, 2, Some(0), true)
        );
        assert_eq!(
            m.to_string(),
            "sample 7, layer 0 (hidden), step 2, neuron 0: the reference fires, the hardware \
             does not (reference spikes [0, 5], hardware spikes [5]; the hardware closed that \
             step in cycle 30 after start)"
        );
    }

    #[test]
    fn an_extra_spike_and_the_wrong_order_are_named() {
        let reference = vec![vec![sp(1, 1)], vec![sp(0, 2), sp(0, 4)]];
        let hw = run(vec![vec![sp(1, 1)], vec![sp(0, 2), sp(0, 3), sp(0, 4)]]);
        let m = check_sample(0, &info(), &names(), &reference, &[], &hw).expect("a mismatch");
        assert_eq!(
            (m.layer, m.step, m.neuron, m.reference_fires),
            (1, 0, Some(3), false)
        );
        let hw = run(vec![vec![sp(1, 1)], vec![sp(0, 4), sp(0, 2)]]);
        let m = check_sample(0, &info(), &names(), &reference, &[], &hw).expect("a mismatch");
        assert_eq!((m.layer, m.step, m.neuron), (1, 0, None));
        assert!(m.to_string().contains("wrong order"), "{m}");
    }

    #[test]
    fn a_readout_membrane_is_compared() {
        let reference = vec![vec![sp(1, 1)], vec![]];
        let mut hw = run(reference.clone());
        hw.membranes = vec![5, -3, 9];
        assert_eq!(
            check_sample(0, &info(), &names(), &reference, &[5, -3, 9], &hw),
            None
        );
        let m =
            check_sample(2, &info(), &names(), &reference, &[5, -4, 9], &hw).expect("a mismatch");
        assert_eq!(
            (m.layer, m.step, m.neuron, m.membrane),
            (1, 3, Some(1), Some((-4, -3)))
        );
        assert_eq!(
            m.to_string(),
            "sample 2, layer 1 (out), step 3, neuron 1: final membrane -3 in the hardware, -4 in \
             the reference"
        );
    }

    #[test]
    fn layers_without_taps_are_not_checked() {
        let mut i = info();
        i.taps = false;
        let reference = vec![vec![sp(0, 1)], vec![sp(3, 2)]];
        let hw = run(vec![vec![], vec![sp(3, 2)]]);
        assert_eq!(check_sample(0, &i, &names(), &reference, &[], &hw), None);
    }
}
