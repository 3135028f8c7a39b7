//! Comparing run results spike by spike: the checker of the proof.
//!
//! A result file is compared field by field: its format, model name, time
//! steps, sample count, and per sample every layer's name, neuron count and
//! spike list, and the decoded output. Spike lists are compared as the
//! sorted sequences the format requires ([`check_sorted`]), so `sim` and
//! `cosim` agree on what counts as equal.

use spikegate_model::{LayerSpikes, ResultFile, SampleResult, Spike, RESULT_FORMAT};

/// The first place where `actual` differs from `expected`, in words naming
/// sample, layer, step and neuron; every layer is compared.
pub fn first_difference(expected: &ResultFile, actual: &ResultFile) -> Option<String> {
    first_difference_in(expected, actual, &|_| true)
}

/// As [`first_difference`], comparing only the spikes of the layers for
/// which `observed` holds (a design without taps shows only its last
/// layer); names and neuron counts of every layer are still compared.
pub fn first_difference_in(
    expected: &ResultFile,
    actual: &ResultFile,
    observed: &dyn Fn(usize) -> bool,
) -> Option<String> {
    if let Some(d) = header_difference(expected, actual) {
        return Some(d);
    }
    for (s, (e, a)) in expected.samples.iter().zip(&actual.samples).enumerate() {
        if let Some(d) = sample_difference(e, a, observed) {
            return Some(format!("sample {s}{d}"));
        }
    }
    None
}

fn header_difference(expected: &ResultFile, actual: &ResultFile) -> Option<String> {
    if expected.format != actual.format {
        return Some(format!(
            "format `{}`, expected `{}`",
            actual.format, expected.format
        ));
    }
    if expected.model != actual.model {
        return Some(format!(
            "model `{}`, expected `{}`",
            actual.model, expected.model
        ));
    }
    if expected.time_steps != actual.time_steps {
        return Some(format!(
            "time_steps {}, expected {}",
            actual.time_steps, expected.time_steps
        ));
    }
    if expected.samples.len() != actual.samples.len() {
        return Some(format!(
            "expected {} samples, got {}",
            expected.samples.len(),
            actual.samples.len()
        ));
    }
    None
}

/// The difference within one sample, as a suffix to "sample N".
fn sample_difference(
    e: &SampleResult,
    a: &SampleResult,
    observed: &dyn Fn(usize) -> bool,
) -> Option<String> {
    if e.layers.len() != a.layers.len() {
        return Some(format!(
            ": expected {} layers, got {}",
            e.layers.len(),
            a.layers.len()
        ));
    }
    for (l, (el, al)) in e.layers.iter().zip(&a.layers).enumerate() {
        if let Some(d) = layer_difference(el, al, observed(l)) {
            return Some(format!(", layer {l} ({}): {d}", al.name));
        }
    }
    if e.output != a.output {
        return Some(format!(
            ": decoded output differs: expected {:?}, got {:?}",
            e.output, a.output
        ));
    }
    None
}

fn layer_difference(e: &LayerSpikes, a: &LayerSpikes, observed: bool) -> Option<String> {
    if e.name != a.name {
        return Some(format!("named `{}` in the expected file", e.name));
    }
    if e.neurons != a.neurons {
        return Some(format!("{} neurons, expected {}", a.neurons, e.neurons));
    }
    if !observed || e.events == a.events {
        return None;
    }
    Some(event_difference(&e.events, &a.events))
}

/// The earliest difference between two sorted lists: a spike one has
/// and the other not, or (multi-spike layers, where a neuron is listed
/// once per spike) a step where a neuron fired a different number of
/// spikes.
fn event_difference(expected: &[Spike], actual: &[Spike]) -> String {
    let (mut e, mut a) = (expected, actual);
    loop {
        match (e.first(), a.first()) {
            (Some(x), Some(y)) if x == y => {
                let (n, m) = (run_length(e), run_length(a));
                if n != m {
                    let spikes = if m == 1 { "spike" } else { "spikes" };
                    return format!(
                        "{m} {spikes} at step {}, neuron {}, expected {n}",
                        x.step, x.neuron
                    );
                }
                (e, a) = (&e[n..], &a[m..]);
            }
            (Some(x), y) if y.is_none_or(|y| x < y) => {
                return format!("missing spike at step {}, neuron {}", x.step, x.neuron)
            }
            (_, Some(y)) => {
                return format!("unexpected spike at step {}, neuron {}", y.step, y.neuron)
            }
            _ => return "spike lists differ in order".to_owned(),
        }
    }
}

/// How many times the first event of `events` repeats at its start.
fn run_length(events: &[Spike]) -> usize {
    events.iter().take_while(|s| **s == events[0]).count()
}

/// Checks that `file` can be compared with results of `network`: its format
/// is a result file's, its model, time steps, layer count, layer names and
/// neuron counts are the network's, and every spike list is sorted by
/// `(step, neuron)` without duplicates and inside the layer and `T`.
pub fn check_expected(
    file: &ResultFile,
    network: &spikegate_model::ValidNetwork,
) -> Result<(), String> {
    let net = network.network();
    if file.format != RESULT_FORMAT {
        return Err(format!("format `{}` is not {RESULT_FORMAT}", file.format));
    }
    if file.model != net.name {
        return Err(format!(
            "it holds results of model `{}`, not of `{}`",
            file.model, net.name
        ));
    }
    if file.time_steps != net.time_steps {
        return Err(format!(
            "time_steps is {}, the model has {}",
            file.time_steps, net.time_steps
        ));
    }
    for (s, sample) in file.samples.iter().enumerate() {
        if sample.layers.len() != net.layers.len() {
            return Err(format!(
                "sample {s} has {} layers, the model has {}",
                sample.layers.len(),
                net.layers.len()
            ));
        }
        for (l, layer) in sample.layers.iter().enumerate() {
            let at = format!("sample {s}, layer {l}");
            let name = network.layer_name(l);
            if layer.name != name {
                return Err(format!(
                    "{at}: named `{}`, the model's layer is `{name}`",
                    layer.name
                ));
            }
            let size = net.layers[l].size;
            if layer.neurons != size {
                return Err(format!(
                    "{at} ({name}): neurons is {}, the layer has {size}",
                    layer.neurons
                ));
            }
            let repeats = net.layers[l].spikes_per_step();
            check_sorted(&layer.events, size, net.time_steps, repeats)
                .map_err(|e| format!("{at} ({name}): {e}"))?;
        }
    }
    Ok(())
}

/// Checks that `events` are sorted by `(step, neuron)`, lie in `0..steps`
/// and `0..neurons`, and list a neuron at most `max_spikes` times in a
/// step (once, in a layer that fires one spike a step).
pub fn check_sorted(
    events: &[Spike],
    neurons: usize,
    steps: u32,
    max_spikes: u32,
) -> Result<(), String> {
    let mut run = 1;
    for (k, e) in events.iter().enumerate() {
        if e.step >= steps || e.neuron as usize >= neurons {
            return Err(format!(
                "event {k} [{}, {}] is outside {steps} steps and {neurons} neurons",
                e.step, e.neuron
            ));
        }
        if k == 0 {
            continue;
        }
        run = if events[k - 1] == *e { run + 1 } else { 1 };
        if events[k - 1] > *e || (max_spikes == 1 && run > 1) {
            return Err(format!(
                "events {} and {k} are not sorted by step, then neuron, without duplicates",
                k - 1
            ));
        }
        if run > max_spikes {
            return Err(format!(
                "event {k}: neuron {} is listed {run} times at step {}, more than the layer's \
                 max_spikes {max_spikes}",
                e.neuron, e.step
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{check_sorted, event_difference};
    use spikegate_model::Spike;

    fn spikes(pairs: &[(u32, u32)]) -> Vec<Spike> {
        pairs.iter().map(|&(t, n)| Spike::new(t, n)).collect()
    }

    #[test]
    fn a_multi_spike_layer_may_list_a_neuron_up_to_its_limit() {
        let twice = spikes(&[(0, 1), (0, 1), (1, 0)]);
        assert!(check_sorted(&twice, 2, 2, 2).is_ok());
        let err = check_sorted(&twice, 2, 2, 1).unwrap_err();
        assert!(err.contains("without duplicates"), "{err}");
        let thrice = spikes(&[(0, 1), (0, 1), (0, 1)]);
        let err = check_sorted(&thrice, 2, 2, 2).unwrap_err();
        assert!(
            err.contains("listed 3 times at step 0, more than the layer's max_spikes 2"),
            "{err}"
        );
        let unsorted = spikes(&[(0, 1), (0, 0)]);
        assert!(check_sorted(&unsorted, 2, 2, 3).is_err());
    }

    #[test]
    fn a_different_spike_count_is_named_with_both_counts() {
        let want = spikes(&[(0, 1), (0, 1), (2, 0)]);
        let got = spikes(&[(0, 1), (2, 0)]);
        assert_eq!(
            event_difference(&want, &got),
            "1 spike at step 0, neuron 1, expected 2"
        );
        assert_eq!(
            event_difference(&want, &spikes(&[(0, 1), (0, 1)])),
            "missing spike at step 2, neuron 0"
        );
        assert_eq!(
            event_difference(&spikes(&[(0, 1)]), &spikes(&[(0, 0), (0, 1)])),
            "unexpected spike at step 0, neuron 0"
        );
    }
}
