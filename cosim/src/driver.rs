//! The driver: a sample's input spikes as AER beats — each step's spikes
//! in increasing neuron order, then one end-of-step beat — and the seeded
//! pacing of the host: gaps between offered beats, and cycles in which the
//! output is not taken (back-pressure).

use spikegate_model::Spike;
use spikegate_sim::rng::SplitMix64;

/// One input beat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Beat {
    /// Ends the step (the neuron is then 0 and ignored).
    pub eos: bool,
    /// The spiking input neuron.
    pub neuron: u16,
}

/// Input the hardware must not be given (it does not check it itself).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("input event {index} ([{step}, {neuron}]): {message}")]
pub struct DriverError {
    /// Index of the event in the sample.
    pub index: usize,
    /// Its step.
    pub step: u32,
    /// Its neuron.
    pub neuron: u32,
    /// What is wrong.
    pub message: String,
}

/// The beats of one sample: for each step `0..steps`, its spikes sorted by
/// neuron, then an end-of-step beat. Refuses steps at or past `steps`,
/// neurons at or past `inputs`, and a neuron spiking twice in one step.
pub fn beats(input: &[Spike], steps: u32, inputs: usize) -> Result<Vec<Beat>, DriverError> {
    let mut order: Vec<usize> = (0..input.len()).collect();
    order.sort_by_key(|&i| (input[i].step, input[i].neuron));
    let error = |i: usize, message: String| DriverError {
        index: i,
        step: input[i].step,
        neuron: input[i].neuron,
        message,
    };
    for (k, &i) in order.iter().enumerate() {
        let s = input[i];
        if s.step >= steps {
            return Err(error(
                i,
                format!("step is past the last step {}", steps - 1),
            ));
        }
        if s.neuron as usize >= inputs {
            return Err(error(i, format!("the model has {inputs} inputs")));
        }
        if k > 0 && input[order[k - 1]] == s {
            return Err(error(i, "the same input spikes twice in one step".into()));
        }
    }
    let mut beats = Vec::with_capacity(input.len() + steps as usize);
    let mut next = order.iter().peekable();
    for t in 0..steps {
        while let Some(&&i) = next.peek() {
            if input[i].step != t {
                break;
            }
            beats.push(Beat {
                eos: false,
                neuron: input[i].neuron as u16,
            });
            next.next();
        }
        beats.push(Beat {
            eos: true,
            neuron: 0,
        });
    }
    Ok(beats)
}

/// How the host paces a run: the probability of a gap (no beat offered in
/// a cycle where one could be) and of a stall (`out_ready` low), drawn
/// from a generator seeded per sample, so any sample replays exactly.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pacing {
    /// Probability of a gap in a cycle, `0.0..1.0`.
    pub gaps: f64,
    /// Probability that `out_ready` is low in a cycle, `0.0..1.0`.
    pub stalls: f64,
    /// The seed; sample `s` draws from `seed` and `s`.
    pub seed: u64,
}

impl Default for Pacing {
    /// A beat every cycle, the output always taken.
    fn default() -> Self {
        Pacing {
            gaps: 0.0,
            stalls: 0.0,
            seed: 0,
        }
    }
}

impl Pacing {
    /// The pacing of sample `index`.
    pub fn for_sample(&self, index: usize) -> SamplePacing {
        let base = self.seed ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        SamplePacing {
            gaps: self.gaps,
            stalls: self.stalls,
            offer: SplitMix64::new(base),
            ready: SplitMix64::new(!base),
        }
    }
}

/// One sample's pacing, drawn cycle by cycle.
#[derive(Debug, Clone)]
pub struct SamplePacing {
    gaps: f64,
    stalls: f64,
    offer: SplitMix64,
    ready: SplitMix64,
}

impl SamplePacing {
    /// Whether the host offers its next beat this cycle.
    pub fn offer(&mut self) -> bool {
        self.gaps <= 0.0 || !self.offer.chance(self.gaps)
    }

    /// Whether the host takes an output beat this cycle.
    pub fn ready(&mut self) -> bool {
        self.stalls <= 0.0 || !self.ready.chance(self.stalls)
    }

    /// Whether the host offers a beat whenever it has one and always takes
    /// the output (no gaps, no stalls): its inputs then change only when a
    /// beat is taken.
    pub fn is_steady(&self) -> bool {
        self.gaps <= 0.0 && self.stalls <= 0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sp(step: u32, neuron: u32) -> Spike {
        Spike::new(step, neuron)
    }

    #[test]
    fn beats_are_sorted_per_step_and_closed_by_eos() {
        let got = beats(&[sp(1, 2), sp(0, 3), sp(1, 0)], 3, 4).unwrap();
        let b = |eos, neuron| Beat { eos, neuron };
        assert_eq!(
            got,
            vec![
                b(false, 3),
                b(true, 0),
                b(false, 0),
                b(false, 2),
                b(true, 0),
                b(true, 0)
            ]
        );
    }

    #[test]
    fn bad_input_is_refused_by_the_driver() {
        let e = beats(&[sp(0, 4)], 3, 4).unwrap_err();
        assert_eq!(
            e.to_string(),
            "input event 0 ([0, 4]): the model has 4 inputs"
        );
        let e = beats(&[sp(0, 1), sp(3, 1)], 3, 4).unwrap_err();
        assert_eq!(
            e.to_string(),
            "input event 1 ([3, 1]): step is past the last step 2"
        );
        let e = beats(&[sp(2, 1), sp(0, 0), sp(2, 1)], 3, 4).unwrap_err();
        assert!(e.to_string().contains("twice in one step"), "{e}");
    }

    #[test]
    fn pacing_replays_per_sample() {
        let p = Pacing {
            gaps: 0.5,
            stalls: 0.5,
            seed: 7,
        };
        let draw = |s| {
            let mut q = p.for_sample(s);
            (0..64).map(|_| (q.offer(), q.ready())).collect::<Vec<_>>()
        };
        assert_eq!(draw(3), draw(3));
        assert_ne!(draw(3), draw(4));
        let mut none = Pacing::default().for_sample(0);
        assert!((0..100).all(|_| none.offer() && none.ready()));
    }
}
