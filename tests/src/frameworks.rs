//! The recorded framework traces of `tests/fixtures/frameworks/`: each
//! case is a network trained in snnTorch, Norse or Sinabs, the
//! framework's own NIR export of it, and the spikes the framework itself
//! produced on the 450 test digits (`scripts/frameworks/record_traces.py`
//! writes them). Loaded here so that tests can import the file with its
//! framework's preset and compare spikegate's spikes with the framework's.

use std::path::{Path, PathBuf};

use serde_json::Value;
use spikegate_import::npz::read_npz;
use spikegate_import::{Framework, ImportOptions, ResetRule};
use spikegate_model::Spike;

use crate::workspace_root;

/// Every recorded case, in the order of the table, then the
/// recurrent snnTorch cases (`RLeaky`, `RSynaptic`) and their `_q8` twins,
/// then `RLeaky` with a reset to zero (deferred, unlike `Leaky`'s) and its
/// twin.
pub const FRAMEWORK_CASES: &[&str] = &[
    "snntorch_leaky_subtract",
    "snntorch_leaky_zero",
    "snntorch_synaptic_subtract",
    "snntorch_synaptic_zero",
    "norse_lifbox",
    "norse_lifcell",
    "sinabs_if_multispike",
    "rockpool_lif",
    "snntorch_leaky_subtract_q8",
    "snntorch_leaky_zero_q8",
    "snntorch_synaptic_subtract_q8",
    "snntorch_synaptic_zero_q8",
    "norse_lifbox_q8",
    "norse_lifcell_q8",
    "sinabs_if_multispike_q8",
    "rockpool_lif_q8",
    "snntorch_rleaky_subtract",
    "snntorch_rsynaptic_zero",
    "snntorch_rleaky_subtract_q8",
    "snntorch_rsynaptic_zero_q8",
    "snntorch_rleaky_zero",
    "snntorch_rleaky_zero_q8",
];

/// One layer's recorded spikes: `counts[sample][step * neurons + neuron]`
/// is how many spikes the framework's neuron emitted in that step.
pub struct RecordedLayer {
    /// The NIR neuron node's name, which is spikegate's layer name.
    pub name: String,
    /// Neurons of the layer.
    pub neurons: usize,
    /// Per sample, the dense spike counts.
    pub counts: Vec<Vec<u8>>,
}

/// A recorded case.
pub struct FrameworkCase {
    /// The folder name.
    pub name: String,
    /// The exported NIR file.
    pub nir: PathBuf,
    /// The framework, as `case.json` names it.
    pub framework: Framework,
    /// The reset the network was trained with, for frameworks whose NIR
    /// export does not record it (snnTorch).
    pub reset: ResetRule,
    /// Steps per sample.
    pub time_steps: u32,
    /// The time step the framework ran at, as `case.json` records it.
    pub dt: Option<f64>,
    /// The input spikes of every sample.
    pub inputs: Vec<Vec<Spike>>,
    /// The true class of every sample.
    pub labels: Vec<u32>,
    /// The framework's decoded class of every sample.
    pub predictions: Vec<u32>,
    /// The framework's spikes, layer by layer, input side first.
    pub layers: Vec<RecordedLayer>,
}

impl FrameworkCase {
    /// Import options for this case at `weight_bits` / `state_bits`: the
    /// framework's preset, and the reset for snnTorch (which its file
    /// cannot tell). Nothing else.
    pub fn options(&self, weight_bits: u32, state_bits: u32) -> ImportOptions {
        ImportOptions {
            framework: self.framework,
            reset: self.reset,
            weight_bits,
            state_bits,
            time_steps: self.time_steps,
            ..ImportOptions::default()
        }
    }

    /// The framework's accuracy on the samples.
    pub fn accuracy(&self) -> f64 {
        accuracy(&self.predictions, &self.labels)
    }
}

/// The fraction of `predicted` equal to `labels`.
pub fn accuracy(predicted: &[u32], labels: &[u32]) -> f64 {
    let right = predicted.iter().zip(labels).filter(|(p, l)| p == l).count();
    right as f64 / labels.len() as f64
}

/// The folder of the recorded cases.
pub fn frameworks_dir() -> PathBuf {
    workspace_root().join("tests/fixtures/frameworks")
}

/// Loads recorded case `name`; panics with the file at fault.
pub fn load_framework_case(name: &str) -> FrameworkCase {
    let dir = frameworks_dir().join(name);
    let case: Value = read_json(&dir.join("case.json"));
    let npz = read_npz(&dir.join("trace.npz")).unwrap_or_else(|e| panic!("{name}: {e}"));
    let array = |key: &str| {
        npz.get(key)
            .unwrap_or_else(|| panic!("{name}: trace.npz has no `{key}`"))
    };
    let input = array("input");
    let (samples, steps, width) = (input.shape[0], input.shape[1], input.shape[2]);
    let inputs = (0..samples)
        .map(|s| {
            let mut events = Vec::new();
            for t in 0..steps {
                for j in 0..width {
                    if input.values[(s * steps + t) * width + j] != 0.0 {
                        events.push(Spike::new(t as u32, j as u32));
                    }
                }
            }
            events
        })
        .collect();
    let classes = |key: &str| array(key).values.iter().map(|&c| c as u32).collect();
    let layers = case["layers"]
        .as_array()
        .expect("case.json: layers")
        .iter()
        .map(|l| {
            let layer = l.as_str().expect("case.json: a layer name");
            let a = array(&format!("spikes_{layer}"));
            let neurons = a.shape[2];
            let per_sample = steps * neurons;
            RecordedLayer {
                name: layer.to_owned(),
                neurons,
                counts: a
                    .values
                    .chunks(per_sample)
                    .map(|c| c.iter().map(|&x| x as u8).collect())
                    .collect(),
            }
        })
        .collect();
    let framework = case["framework"].as_str().expect("case.json: framework");
    FrameworkCase {
        name: name.to_owned(),
        nir: dir.join("model.nir"),
        framework: Framework::from_name(framework)
            .unwrap_or_else(|| panic!("{name}: unknown framework {framework}")),
        reset: match (framework, case["reset"].as_str()) {
            ("snntorch", Some("subtract")) => ResetRule::Subtract,
            ("snntorch", Some("zero")) => ResetRule::Zero,
            _ => ResetRule::Nir,
        },
        time_steps: steps as u32,
        dt: case["dt"].as_f64(),
        inputs,
        labels: classes("label"),
        predictions: classes("prediction"),
        layers,
    }
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Dense per-step counts of `spikes` (a layer of `neurons` neurons over
/// `steps` steps; a neuron listed `n` times in a step fired `n` spikes).
pub fn dense_counts(spikes: &[Spike], steps: u32, neurons: usize) -> Vec<u8> {
    let mut counts = vec![0u8; steps as usize * neurons];
    for s in spikes {
        let at = s.step as usize * neurons + s.neuron as usize;
        counts[at] = counts[at].saturating_add(1);
    }
    counts
}

/// The fraction of entries equal in two equally long count vectors, over
/// every sample: `(equal, total)`.
pub fn equal_entries(a: &[Vec<u8>], b: &[Vec<u8>]) -> (u64, u64) {
    let mut equal = 0;
    let mut total = 0;
    for (x, y) in a.iter().zip(b) {
        assert_eq!(
            x.len(),
            y.len(),
            "count vectors of one sample differ in length"
        );
        equal += x.iter().zip(y).filter(|(p, q)| p == q).count() as u64;
        total += x.len() as u64;
    }
    (equal, total)
}
