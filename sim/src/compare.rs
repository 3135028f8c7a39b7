//! Comparing run results spike by spike: the checker of the proof.

use spikegate_model::ResultFile;

/// The first place where `actual` differs from `expected`, in words.
pub fn first_difference(expected: &ResultFile, actual: &ResultFile) -> Option<String> {
    if expected.samples.len() != actual.samples.len() {
        return Some(format!(
            "expected {} samples, got {}",
            expected.samples.len(),
            actual.samples.len()
        ));
    }
    for (s, (e, a)) in expected.samples.iter().zip(&actual.samples).enumerate() {
        if e.layers.len() != a.layers.len() {
            return Some(format!(
                "sample {s}: expected {} layers, got {}",
                e.layers.len(),
                a.layers.len()
            ));
        }
        for (l, (el, al)) in e.layers.iter().zip(&a.layers).enumerate() {
            let (mut ee, mut ae) = (el.events.clone(), al.events.clone());
            ee.sort_unstable();
            ae.sort_unstable();
            if ee == ae {
                continue;
            }
            // The earliest event present in one list but not the other.
            let missing = ee.iter().find(|x| ae.binary_search(x).is_err());
            let extra = ae.iter().find(|x| ee.binary_search(x).is_err());
            let what = match (missing, extra) {
                (Some(m), Some(x)) if (x.step, x.neuron) < (m.step, m.neuron) => {
                    format!("unexpected spike at step {}, neuron {}", x.step, x.neuron)
                }
                (Some(m), _) => format!("missing spike at step {}, neuron {}", m.step, m.neuron),
                (None, Some(x)) => {
                    format!("unexpected spike at step {}, neuron {}", x.step, x.neuron)
                }
                (None, None) => "events differ".to_owned(),
            };
            return Some(format!("sample {s}, layer {l} ({}): {what}", al.name));
        }
        if e.output != a.output {
            return Some(format!(
                "sample {s}: decoded output differs: expected {:?}, got {:?}",
                e.output, a.output
            ));
        }
    }
    None
}
