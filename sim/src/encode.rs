//! Encoders from dense input values in `0..=1` to input spikes.
//!
//! Both are deterministic: the same values always give the same spikes.

use serde::Deserialize;
use spikegate_model::{InputSample, Spike, ValidNetwork};

/// A value an encoder cannot take. (`{:?}` prints a huge value compactly,
/// as `1e308`, where `{}` would print all 309 digits.)
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("input value {index} is {value:?}; encoders take values from 0 to 1")]
pub struct EncodeError {
    /// Position of the value.
    pub index: usize,
    /// The value (NaN, negative or above 1).
    pub value: f64,
}

fn check(values: &[f64]) -> Result<(), EncodeError> {
    match values.iter().position(|v| !(0.0..=1.0).contains(v)) {
        Some(index) => Err(EncodeError {
            index,
            value: values[index],
        }),
        None => Ok(()),
    }
}

/// Time-to-first-spike latency code: value `x > 0` gives one spike at step
/// `round((1 - x) * (T - 1))` (halves away from zero), so larger values
/// spike earlier and `x = 1` spikes at step 0; `x = 0` gives no spike.
pub fn ttfs_latency(values: &[f64], steps: u32) -> Result<Vec<Spike>, EncodeError> {
    check(values)?;
    let last = f64::from(steps.saturating_sub(1));
    let mut spikes: Vec<Spike> = values
        .iter()
        .enumerate()
        .filter(|(_, &x)| x > 0.0)
        .map(|(n, &x)| Spike::new(((1.0 - x) * last).round() as u32, n as u32))
        .collect();
    spikes.sort_unstable();
    Ok(spikes)
}

/// Deterministic rate code: input `n` with value `x` spikes at step `t`
/// exactly when `floor((t + 1) * x) > floor(t * x)`, which spreads
/// `floor(T * x)` spikes evenly over the sample (`x = 1` spikes every step).
pub fn rate(values: &[f64], steps: u32) -> Result<Vec<Spike>, EncodeError> {
    check(values)?;
    let mut spikes = Vec::new();
    for t in 0..steps {
        for (n, &x) in values.iter().enumerate() {
            if (f64::from(t + 1) * x).floor() > (f64::from(t) * x).floor() {
                spikes.push(Spike::new(t, n as u32));
            }
        }
    }
    Ok(spikes)
}

/// Which code turns values into spikes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// [`ttfs_latency`].
    Ttfs,
    /// [`rate`].
    Rate,
}

/// A values file, as `spikegate encode` reads it: samples of dense input
/// values in `0..=1`, one per input neuron, with an optional label.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValuesFile {
    /// The samples, in order.
    pub samples: Vec<ValueSample>,
}

/// One sample of a [`ValuesFile`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValueSample {
    /// One value a input neuron.
    pub values: Vec<f64>,
    /// The class the sample belongs to, if known.
    #[serde(default)]
    pub label: Option<u32>,
}

/// A sample that cannot be encoded for the model.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SampleError {
    /// It has another number of values than the model has inputs.
    #[error("sample {sample}: {found} values, but the model has {inputs} inputs")]
    Count {
        /// The sample.
        sample: usize,
        /// Its values.
        found: usize,
        /// The model's inputs.
        inputs: usize,
    },
    /// A value outside `0..=1`.
    #[error("sample {sample}: {error}")]
    Value {
        /// The sample.
        sample: usize,
        /// What is wrong with the value.
        error: EncodeError,
    },
}

/// Encodes every sample of `file` with `code` for `network`'s inputs and
/// time steps, keeping each sample's label.
pub fn encode_samples(
    file: &ValuesFile,
    network: &ValidNetwork,
    code: Code,
) -> Result<Vec<InputSample>, SampleError> {
    let (inputs, steps) = (network.network().inputs, network.network().time_steps);
    file.samples
        .iter()
        .enumerate()
        .map(|(sample, s)| {
            if s.values.len() != inputs {
                return Err(SampleError::Count {
                    sample,
                    found: s.values.len(),
                    inputs,
                });
            }
            let events = match code {
                Code::Ttfs => ttfs_latency(&s.values, steps),
                Code::Rate => rate(&s.values, steps),
            }
            .map_err(|error| SampleError::Value { sample, error })?;
            Ok(InputSample {
                label: s.label,
                events,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_code() {
        let s = ttfs_latency(&[1.0, 0.0, 0.5, 0.25], 9).unwrap();
        // 1.0 -> 0; 0.0 -> none; 0.5 -> round(4.0) = 4; 0.25 -> round(6.0) = 6
        assert_eq!(
            s,
            vec![Spike::new(0, 0), Spike::new(4, 2), Spike::new(6, 3)]
        );
        let s = ttfs_latency(&[0.9375], 9).unwrap(); // 0.0625 * 8 = 0.5 -> 1
        assert_eq!(s, vec![Spike::new(1, 0)]);
    }

    #[test]
    fn rate_code() {
        let s = rate(&[0.5, 1.0, 0.0, 0.25], 4).unwrap();
        let want = [(0, 1), (1, 0), (1, 1), (2, 1), (3, 0), (3, 1), (3, 3)];
        let want: Vec<Spike> = want.iter().map(|&(t, n)| Spike::new(t, n)).collect();
        assert_eq!(s, want);
        for x in [0.0, 0.1, 0.33, 0.5, 0.99, 1.0] {
            let count = rate(&[x], 100).unwrap().len();
            assert_eq!(count, (100.0 * x).floor() as usize, "value {x}");
        }
    }

    #[test]
    fn bad_values_are_named() {
        let e = rate(&[0.5, f64::NAN], 4).unwrap_err();
        assert_eq!(e.index, 1);
        let e = ttfs_latency(&[1.5], 4).unwrap_err();
        assert_eq!(
            e.to_string(),
            "input value 0 is 1.5; encoders take values from 0 to 1"
        );
    }
}
