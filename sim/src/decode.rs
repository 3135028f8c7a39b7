//! Output decoding: from the last layer's activity to the network's answer.

use spikegate_model::{Decode, DecodedOutput, Spike};

/// Index of the first maximum (ties go to the lowest index).
fn first_max<T: PartialOrd + Copy>(values: &[T]) -> u32 {
    let mut best = 0;
    for (i, &v) in values.iter().enumerate() {
        if v > values[best] {
            best = i;
        }
    }
    best as u32
}

/// Decodes the last layer's `spikes` (sorted by step) or final `membranes`
/// by `rule`; `steps` is `T`.
pub fn decode(rule: Decode, membranes: &[i64], spikes: &[Spike], steps: u32) -> DecodedOutput {
    let n = membranes.len();
    match rule {
        Decode::FirstSpike => {
            let mut first = vec![steps; n];
            for s in spikes {
                let f = &mut first[s.neuron as usize];
                *f = (*f).min(s.step);
            }
            // Earliest wins: the first maximum of the negated times.
            let neg: Vec<i64> = first.iter().map(|&t| -i64::from(t)).collect();
            DecodedOutput::FirstSpike {
                class: first_max(&neg),
                first_spike_steps: first,
            }
        }
        Decode::SpikeCount => {
            let mut counts = vec![0u32; n];
            for s in spikes {
                counts[s.neuron as usize] += 1;
            }
            DecodedOutput::SpikeCount {
                class: first_max(&counts),
                counts,
            }
        }
        Decode::Readout => DecodedOutput::Readout {
            class: first_max(membranes),
            membranes: membranes.to_vec(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_go_to_the_lowest_index() {
        let spikes = [Spike::new(3, 2), Spike::new(3, 1), Spike::new(5, 0)];
        let out = decode(Decode::FirstSpike, &[0; 3], &spikes, 8);
        assert_eq!(
            out,
            DecodedOutput::FirstSpike {
                class: 1,
                first_spike_steps: vec![5, 3, 3]
            }
        );
        let out = decode(Decode::FirstSpike, &[0; 3], &[], 8);
        assert_eq!(
            out.class(),
            0,
            "no spike at all: every neuron at T, lowest wins"
        );
        let out = decode(
            Decode::SpikeCount,
            &[0; 3],
            &[Spike::new(0, 2), Spike::new(1, 1)],
            8,
        );
        assert_eq!(out.class(), 1);
        let out = decode(Decode::Readout, &[-4, 9, 9], &[], 8);
        assert_eq!(out.class(), 1);
    }
}
