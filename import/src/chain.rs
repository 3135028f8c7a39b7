//! From a NIR graph to a discretized [`FloatNetwork`]: the graph must be a
//! feed-forward chain `Input -> ... -> Output`; each run of synapse nodes
//! (`Affine`, `Linear`, `Scale`, `Delay`) ending in a neuron node (`LIF`,
//! `IF`, `CubaLIF`, `LI`, `I`, `CubaLI`, `Threshold`) becomes one layer.
//! The rules are written out in `docs/import.md`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use spikegate_model::validate::limits;
use spikegate_model::{Decode, Reset};

use crate::error::{node_place, ImportError};
use crate::float::{FloatKind, FloatLayer, FloatNetwork};
use crate::nir::{NirGraph, NirNode, Param};
use crate::{ImportOptions, ResetRule};

/// The node types spikegate imports, as listed in its error messages.
pub const SUPPORTED: &str = "Input, Output, Affine, Linear, Scale, Delay, LIF, IF, CubaLIF, LI, I, CubaLI, Threshold, in a feed-forward chain";

/// What the graph walk produced, with the notes the report shows.
pub struct Chain {
    /// The discretized network.
    pub network: FloatNetwork,
    /// Things the user should know (rounded delays and the like).
    pub warnings: Vec<String>,
}

/// Why a node type is refused, for types NIR has and spikegate not yet.
fn unsupported_reason(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "Conv1d" | "Conv2d" => "spikegate cannot carry convolution yet",
        "SumPool2d" | "AvgPool2d" => "spikegate cannot carry pooling yet",
        "Flatten" => "spikegate cannot carry reshaping (Flatten, used after convolution) yet",
        "NIRGraph" => "nested NIR subgraphs are not supported yet; export one flat graph",
        "Input" | "Output" | "Affine" | "Linear" | "Scale" | "Delay" | "LIF" | "IF" | "CubaLIF"
        | "LI" | "I" | "CubaLI" | "Threshold" => return None,
        _ => "spikegate does not know this node type",
    })
}

fn is_neuron(kind: &str) -> bool {
    matches!(
        kind,
        "LIF" | "IF" | "CubaLIF" | "LI" | "I" | "CubaLI" | "Threshold"
    )
}

fn is_readout(kind: &str) -> bool {
    matches!(kind, "LI" | "I" | "CubaLI")
}

/// Parameter access with errors naming the file, node and field.
struct NodeParams<'a> {
    file: &'a Path,
    node: &'a NirNode,
}

impl<'a> NodeParams<'a> {
    fn err(&self, field: Option<&str>, message: impl Into<String>) -> ImportError {
        ImportError::at(self.file, self.node.place(), field, message)
    }

    fn get(&self, name: &str) -> Result<&'a Param, ImportError> {
        let p = self.node.params.get(name).ok_or_else(|| {
            let message = match self.node.other.get(name) {
                // Present but not numbers spikegate reads: say what it is.
                Some(kind) => format!(
                    "dataset `{name}` holds {kind} values; spikegate reads {}",
                    crate::nir::READ_TYPES
                ),
                None => format!(
                    "missing parameter dataset `{name}`; a {} node needs it",
                    self.node.kind
                ),
            };
            self.err(Some(name), message)
        })?;
        if let Some(k) = p.values.iter().position(|v| !v.is_finite()) {
            return Err(self.err(
                Some(name),
                format!(
                    "value {k} is {}; parameters must be finite numbers",
                    p.values[k]
                ),
            ));
        }
        Ok(p)
    }

    /// Whether the node has a dataset `name`, numeric or not (a present
    /// dataset of a type spikegate cannot read is an error, not an absence).
    fn has(&self, name: &str) -> bool {
        self.node.params.contains_key(name) || self.node.other.contains_key(name)
    }

    fn optional(&self, name: &str) -> Result<Option<&'a Param>, ImportError> {
        if self.has(name) {
            self.get(name).map(Some)
        } else {
            Ok(None)
        }
    }

    /// A per-neuron parameter of `n` values (a single value broadcasts).
    fn vector(&self, name: &str, n: usize) -> Result<Vec<f64>, ImportError> {
        let p = self.get(name)?;
        broadcast(p, n).ok_or_else(|| {
            self.err(
                Some(name),
                format!(
                    "shape {:?} does not fit the node's {n} neurons (expected {n} values or 1)",
                    p.shape
                ),
            )
        })
    }

    fn optional_vector(&self, name: &str, n: usize, default: f64) -> Result<Vec<f64>, ImportError> {
        if self.has(name) {
            self.vector(name, n)
        } else {
            Ok(vec![default; n])
        }
    }

    /// A weight matrix stored `[out, in]`.
    fn matrix(&self, name: &str) -> Result<(usize, usize, &'a [f64]), ImportError> {
        let p = self.get(name)?;
        match p.shape[..] {
            [out, inp] if out > 0 && inp > 0 => Ok((out, inp, &p.values)),
            _ => Err(self.err(
                Some(name),
                format!(
                    "expected a 2-dimensional [out, in] matrix, found shape {:?}",
                    p.shape
                ),
            )),
        }
    }
}

fn broadcast(p: &Param, n: usize) -> Option<Vec<f64>> {
    match p.values.len() {
        1 => Some(vec![p.values[0]; n]),
        len if len == n => Some(p.values.clone()),
        _ => None,
    }
}

/// The number of neurons of a neuron node: the length of its longest
/// parameter array.
fn neuron_size(node: &NirNode) -> usize {
    node.params
        .values()
        .map(|p| p.values.len())
        .max()
        .unwrap_or(1)
}

/// The synapse nodes gathered since the last neuron node.
#[derive(Default)]
struct Segment {
    sources: Vec<String>,
    /// Per presynaptic neuron: scale and delay (seconds) before any matrix.
    pre_scale: Option<Vec<f64>>,
    pre_delay: Option<Vec<f64>>,
    /// `w[i][j]` (out x in) and bias, once a matrix has been seen.
    matrix: Option<(Vec<Vec<f64>>, Vec<f64>)>,
    /// Per output neuron delay (seconds) after the matrix.
    post_delay: Option<Vec<f64>>,
}

/// Walks `graph` from its Input to its Output and discretizes each layer.
pub fn build(file: &Path, graph: &NirGraph, options: &ImportOptions) -> Result<Chain, ImportError> {
    let mut succ: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut pred: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (a, b) in &graph.edges {
        for name in [a, b] {
            if !graph.nodes.contains_key(name) {
                return Err(ImportError::field(
                    file,
                    "node/edges",
                    format!(
                        "the edge `{a}` -> `{b}` names `{name}`, which is not a node of the graph"
                    ),
                ));
            }
        }
        succ.entry(a).or_default().push(b);
        pred.entry(b).or_default().push(a);
    }
    check_acyclic(file, graph, &succ)?;
    let inputs: Vec<&NirNode> = graph.nodes.values().filter(|n| n.kind == "Input").collect();
    let input = match inputs[..] {
        [one] => one,
        [] => return Err(ImportError::file(file, "the graph has no Input node")),
        _ => {
            let names: Vec<String> = inputs.iter().map(|n| format!("`{}`", n.name)).collect();
            return Err(ImportError::file(
                file,
                format!(
                    "the graph has {} Input nodes ({}); spikegate takes one input stream",
                    inputs.len(),
                    names.join(", ")
                ),
            ));
        }
    };
    // The chain, in order, Input excluded.
    let mut chain: Vec<&NirNode> = Vec::new();
    let mut at = input;
    let mut visited = BTreeSet::new();
    visited.insert(at.name.as_str());
    loop {
        if let Some(reason) = unsupported_reason(&at.kind) {
            return Err(ImportError::at(
                file,
                at.place(),
                None,
                format!("{reason}; supported: {SUPPORTED}"),
            ));
        }
        if at.kind == "Output" {
            break;
        }
        let next = succ.get(at.name.as_str()).cloned().unwrap_or_default();
        let next = match next[..] {
            [one] => &graph.nodes[one],
            [] => {
                return Err(ImportError::at(
                    file,
                    at.place(),
                    None,
                    "the node has no outgoing edge, so the chain never reaches the Output node",
                ))
            }
            _ => {
                let names: Vec<String> = next.iter().map(|n| format!("`{n}`")).collect();
                return Err(ImportError::at(
                    file,
                    at.place(),
                    None,
                    format!(
                        "the node feeds {} nodes ({}); spikegate carries a feed-forward chain, branches are not supported yet",
                        next.len(),
                        names.join(", ")
                    ),
                ));
            }
        };
        let from = &pred[next.name.as_str()];
        if from.len() > 1 {
            let names: Vec<String> = from.iter().map(|n| format!("`{n}`")).collect();
            return Err(ImportError::at(
                file,
                next.place(),
                None,
                format!(
                    "the node has {} incoming edges (from {}); spikegate layers take one input, merging branches is not supported yet",
                    from.len(),
                    names.join(", ")
                ),
            ));
        }
        visited.insert(next.name.as_str());
        chain.push(next);
        at = next;
    }
    if let Some(stray) = graph
        .nodes
        .values()
        .find(|n| !visited.contains(n.name.as_str()))
    {
        return Err(ImportError::at(
            file,
            stray.place(),
            None,
            "the node is not on the chain from the Input to the Output node; spikegate imports a single chain",
        ));
    }
    let input_size = match input.params.get("shape") {
        Some(p)
            if !p.values.is_empty() && p.values.iter().all(|&v| v >= 1.0 && v.fract() == 0.0) =>
        {
            Some(p.values.iter().product::<f64>() as usize)
        }
        _ => None,
    };
    build_layers(file, input_size, &chain, options)
}

/// Refuses a graph with a cycle, naming the edge that closes it and the loop.
fn check_acyclic(
    file: &Path,
    graph: &NirGraph,
    succ: &BTreeMap<&str, Vec<&str>>,
) -> Result<(), ImportError> {
    // 0 = unseen, 1 = on the current path, 2 = done.
    let mut state: BTreeMap<&str, u8> = BTreeMap::new();
    // Start from the Input nodes, so the loop is found the way data flows.
    let mut starts: Vec<&str> = graph
        .nodes
        .values()
        .filter(|n| n.kind == "Input")
        .map(|n| n.name.as_str())
        .collect();
    starts.extend(graph.nodes.keys().map(String::as_str));
    for start in starts {
        if state.get(start).copied().unwrap_or(0) != 0 {
            continue;
        }
        // Iterative depth-first search: (node, index of next successor).
        let mut path: Vec<(&str, usize)> = vec![(start, 0)];
        state.insert(start, 1);
        while let Some(&mut (node, ref mut k)) = path.last_mut() {
            let next = succ.get(node).and_then(|s| s.get(*k)).copied();
            *k += 1;
            match next {
                None => {
                    state.insert(node, 2);
                    path.pop();
                }
                Some(m) => match state.get(m).copied().unwrap_or(0) {
                    0 => {
                        state.insert(m, 1);
                        path.push((m, 0));
                    }
                    1 => {
                        let from = path.iter().position(|&(p, _)| p == m).unwrap_or(0);
                        let mut names: Vec<&str> = path[from..].iter().map(|&(p, _)| p).collect();
                        names.push(m);
                        let target = &graph.nodes[m];
                        let source = &graph.nodes[node];
                        return Err(ImportError::at(
                            file,
                            target.place(),
                            None,
                            format!(
                                "recurrent loop {}: the edge `{}` ({}) -> `{}` feeds the node's output back into it; spikegate carries feed-forward chains only, recurrent connections are not supported yet",
                                names.join(" -> "),
                                node,
                                source.kind,
                                m
                            ),
                        ));
                    }
                    _ => {}
                },
            }
        }
    }
    Ok(())
}

fn build_layers(
    file: &Path,
    input_size: Option<usize>,
    chain: &[&NirNode],
    options: &ImportOptions,
) -> Result<Chain, ImportError> {
    let mut warnings = Vec::new();
    let mut layers: Vec<FloatLayer> = Vec::new();
    let mut size = input_size;
    let mut inputs = input_size;
    let mut seg = Segment::default();
    let need_dt = |node: &NirNode| -> Result<f64, ImportError> {
        options.dt.ok_or_else(|| {
            ImportError::at(
                file,
                node.place(),
                None,
                "the node has time constants but the NIR file stores no time step; pass --dt SECONDS (the NIR paper's examples and snnTorch exports use 1e-4)",
            )
        })
    };
    for (pos, &node) in chain.iter().enumerate() {
        let p = NodeParams { file, node };
        let place = node.place();
        if let Some(last) = layers.last() {
            if !last.spiking {
                return Err(ImportError::at(
                    file,
                    &place,
                    None,
                    format!(
                        "it follows the non-spiking `{}` layer; a leaky integrator (LI, I, CubaLI) can only be the last layer, as a readout",
                        last.name
                    ),
                ));
            }
        }
        match node.kind.as_str() {
            "Output" => {
                if !seg.sources.is_empty() {
                    let last = chain[pos - 1];
                    return Err(ImportError::at(
                        file,
                        last.place(),
                        None,
                        "the node is not followed by a neuron node before the Output; every spikegate layer ends in neurons (LIF, IF, CubaLIF, LI, I, CubaLI, Threshold)",
                    ));
                }
            }
            "Affine" | "Linear" => {
                let (out, inp, w) = p.matrix("weight")?;
                let seg_in = match &seg.matrix {
                    Some((m, _)) => Some(m.len()),
                    None => size,
                };
                if let Some(n) = seg_in {
                    if n != inp {
                        return Err(p.err(
                            Some("weight"),
                            format!("the matrix takes {inp} inputs ([out, in] = {:?}), but the node before it gives {n}", [out, inp]),
                        ));
                    }
                }
                if inputs.is_none() {
                    inputs = Some(inp);
                    size = Some(inp);
                }
                let bias = if node.kind == "Affine" {
                    p.optional_vector("bias", out, 0.0)?
                } else {
                    vec![0.0; out]
                };
                let rows: Vec<Vec<f64>> = w.chunks_exact(inp).map(<[f64]>::to_vec).collect();
                seg.matrix = Some(match seg.matrix.take() {
                    None => (rows, bias),
                    Some((prev, prev_bias)) => {
                        if seg.post_delay.is_some() {
                            return Err(p.err(
                                None,
                                "a Delay sits between two matrices; spikegate delays are per synapse of one layer, so put the Delay before the first matrix or after the last",
                            ));
                        }
                        // new = rows * prev; bias = rows * prev_bias + bias
                        let k = prev.first().map_or(0, Vec::len);
                        let mut m = vec![vec![0.0; k]; out];
                        let mut b = bias;
                        for i in 0..out {
                            for (h, &r) in rows[i].iter().enumerate() {
                                b[i] += r * prev_bias[h];
                                for j in 0..k {
                                    m[i][j] += r * prev[h][j];
                                }
                            }
                        }
                        (m, b)
                    }
                });
            }
            "Scale" => {
                let n = match &seg.matrix {
                    Some((m, _)) => m.len(),
                    None => size
                        .unwrap_or_else(|| node.params.get("scale").map_or(1, |s| s.values.len())),
                };
                let s = p.vector("scale", n)?;
                match &mut seg.matrix {
                    Some((m, b)) => {
                        for i in 0..n {
                            b[i] *= s[i];
                            for w in &mut m[i] {
                                *w *= s[i];
                            }
                        }
                    }
                    None => {
                        let pre = seg.pre_scale.get_or_insert_with(|| vec![1.0; n]);
                        for (a, b) in pre.iter_mut().zip(&s) {
                            *a *= b;
                        }
                    }
                }
            }
            "Delay" => {
                let n = match &seg.matrix {
                    Some((m, _)) => m.len(),
                    None => size
                        .unwrap_or_else(|| node.params.get("delay").map_or(1, |s| s.values.len())),
                };
                let d = p.vector("delay", n)?;
                if let Some(k) = d.iter().position(|&x| x < 0.0) {
                    return Err(p.err(
                        Some("delay"),
                        format!("value {k} is {}; delays cannot be negative", d[k]),
                    ));
                }
                need_dt(node)?;
                let target = if seg.matrix.is_some() {
                    &mut seg.post_delay
                } else {
                    &mut seg.pre_delay
                };
                let acc = target.get_or_insert_with(|| vec![0.0; n]);
                for (a, b) in acc.iter_mut().zip(&d) {
                    *a += b;
                }
            }
            _ => {
                debug_assert!(is_neuron(&node.kind));
                let n = neuron_size(node);
                let incoming = match &seg.matrix {
                    Some((m, _)) => Some(m.len()),
                    None => size,
                };
                if let Some(k) = incoming {
                    if k != n && n != 1 {
                        return Err(p.err(
                            None,
                            format!("the node has {n} neurons but receives {k} values from the node before it"),
                        ));
                    }
                }
                let n = incoming.unwrap_or(n);
                if inputs.is_none() {
                    inputs = Some(n);
                }
                seg.sources.push(place.clone());
                let layer = neuron_layer(
                    file,
                    &p,
                    n,
                    std::mem::take(&mut seg),
                    options,
                    &need_dt,
                    &mut warnings,
                )?;
                size = Some(layer.size);
                layers.push(layer);
                continue;
            }
        }
        seg.sources.push(place);
    }
    if layers.is_empty() {
        return Err(ImportError::file(
            file,
            "the graph has no neuron node between its Input and Output; spikegate needs at least one layer",
        ));
    }
    let last = layers.last().expect("non-empty");
    let decode = match (options.decode, last.spiking) {
        (None, true) => Decode::SpikeCount,
        (None, false) => Decode::Readout,
        (Some(Decode::Readout), true) => {
            return Err(ImportError::file(
                file,
                format!("readout decoding needs a non-spiking last layer (LI, I or CubaLI), but `{}` spikes", last.name),
            ))
        }
        (Some(d), false) if d != Decode::Readout => {
            return Err(ImportError::file(
                file,
                format!("the last layer `{}` is a non-spiking integrator, which only readout decoding can read", last.name),
            ))
        }
        (Some(d), _) => d,
    };
    Ok(Chain {
        network: FloatNetwork {
            name: options.name.clone().unwrap_or_else(|| {
                file.file_stem()
                    .map_or("imported".to_owned(), |s| s.to_string_lossy().into_owned())
            }),
            inputs: inputs.unwrap_or(1),
            layers,
            decode,
        },
        warnings,
    })
}

/// Per-step decay `1 - dt/tau`, refusing time constants Euler cannot take.
fn decay_of(p: &NodeParams, field: &str, tau: &[f64], dt: f64) -> Result<Vec<f64>, ImportError> {
    tau.iter()
        .enumerate()
        .map(|(k, &t)| {
            if t <= 0.0 {
                return Err(p.err(Some(field), format!("value {k} is {t}; a time constant must be positive")));
            }
            let a = dt / t;
            if a > 1.0 {
                return Err(p.err(
                    Some(field),
                    format!("value {k}: dt / tau = {dt} / {t} = {a:.4} > 1, where forward Euler is unstable; choose a --dt below the time constant"),
                ));
            }
            Ok(1.0 - a)
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn neuron_layer(
    file: &Path,
    p: &NodeParams,
    n: usize,
    seg: Segment,
    options: &ImportOptions,
    need_dt: &dyn Fn(&NirNode) -> Result<f64, ImportError>,
    warnings: &mut Vec<String>,
) -> Result<FloatLayer, ImportError> {
    let node = p.node;
    let kind = node.kind.as_str();
    // Per-neuron gain from the input current to the per-step state input,
    // per-neuron constant drive (from v_leak), and the dynamics.
    let (gain, drive, float_kind, threshold): (Vec<f64>, Vec<f64>, FloatKind, Vec<f64>) = match kind
    {
        "LIF" | "LI" => {
            let dt = need_dt(node)?;
            let tau = p.vector("tau", n)?;
            let r = p.optional_vector("r", n, 1.0)?;
            let v_leak = p.optional_vector("v_leak", n, 0.0)?;
            let decay = decay_of(p, "tau", &tau, dt)?;
            let a: Vec<f64> = decay.iter().map(|f| 1.0 - f).collect();
            let gain = a.iter().zip(&r).map(|(a, r)| a * r).collect();
            let drive = a.iter().zip(&v_leak).map(|(a, l)| a * l).collect();
            let thr = if kind == "LIF" {
                p.vector("v_threshold", n)?
            } else {
                vec![0.0; n]
            };
            (gain, drive, FloatKind::Lif { decay }, thr)
        }
        "IF" | "I" => {
            let r = p.optional_vector("r", n, 1.0)?;
            let thr = if kind == "IF" {
                p.vector("v_threshold", n)?
            } else {
                vec![0.0; n]
            };
            (r, vec![0.0; n], FloatKind::If, thr)
        }
        "CubaLIF" | "CubaLI" => {
            let dt = need_dt(node)?;
            let tau_syn = p.vector("tau_syn", n)?;
            let tau_mem = p.vector("tau_mem", n)?;
            let r = p.optional_vector("r", n, 1.0)?;
            let w_in = p.optional_vector("w_in", n, 1.0)?;
            let v_leak = p.optional_vector("v_leak", n, 0.0)?;
            if let Some(k) = v_leak.iter().position(|&l| l != 0.0) {
                return Err(p.err(
                    Some("v_leak"),
                    format!("value {k} is {}; a CubaLIF leak voltage other than 0 has no integer form in spikegate's `cuba` kind (it would need a bias on the membrane, which `cuba` adds to the current); retrain with v_leak = 0", v_leak[k]),
                ));
            }
            let current = decay_of(p, "tau_syn", &tau_syn, dt)?;
            let membrane = decay_of(p, "tau_mem", &tau_mem, dt)?;
            let gain = (0..n)
                .map(|i| (1.0 - current[i]) * w_in[i] * (1.0 - membrane[i]) * r[i])
                .collect();
            let thr = if kind == "CubaLIF" {
                p.vector("v_threshold", n)?
            } else {
                vec![0.0; n]
            };
            (
                gain,
                vec![0.0; n],
                FloatKind::Cuba { current, membrane },
                thr,
            )
        }
        "Threshold" => {
            let thr = p.vector("threshold", n)?;
            (
                vec![1.0; n],
                vec![0.0; n],
                FloatKind::Lif {
                    decay: vec![0.0; n],
                },
                thr,
            )
        }
        other => unreachable!("not a neuron kind: {other}"),
    };
    if let Some(v_reset) = p.optional("v_reset")? {
        if let Some(k) = v_reset.values.iter().position(|&v| v != 0.0) {
            return Err(p.err(
                Some("v_reset"),
                format!("value {k} is {}; spikegate resets to 0 (or by subtraction), so only v_reset = 0 imports", v_reset.values[k]),
            ));
        }
    }
    let spiking = !is_readout(kind);
    if spiking {
        if let Some(k) = threshold.iter().position(|&t| t <= 0.0) {
            let field = if kind == "Threshold" {
                "threshold"
            } else {
                "v_threshold"
            };
            return Err(p.err(
                Some(field),
                format!("value {k} is {}; spikegate needs a positive threshold (a neuron at rest must not fire)", threshold[k]),
            ));
        }
    }
    // The synapses: identity when no matrix came before the neuron node.
    let (matrix, bias) = match seg.matrix {
        Some(m) => m,
        None => (
            (0..n)
                .map(|i| (0..n).map(|j| if i == j { 1.0 } else { 0.0 }).collect())
                .collect(),
            vec![0.0; n],
        ),
    };
    let fan_in = matrix.first().map_or(0, Vec::len);
    let pre_scale = seg.pre_scale.unwrap_or_else(|| vec![1.0; fan_in]);
    let mut weights = vec![vec![0.0; n]; fan_in];
    for (i, row) in matrix.iter().enumerate() {
        for (j, &w) in row.iter().enumerate() {
            weights[j][i] = w * pre_scale[j] * gain[i];
        }
    }
    let bias: Vec<f64> = (0..n).map(|i| bias[i] * gain[i] + drive[i]).collect();
    let delays = if seg.pre_delay.is_some() || seg.post_delay.is_some() {
        let dt = need_dt(node)?;
        let pre = seg.pre_delay.unwrap_or_else(|| vec![0.0; fan_in]);
        let post = seg.post_delay.unwrap_or_else(|| vec![0.0; n]);
        let mut rounded = false;
        let mut values = vec![vec![0u32; n]; fan_in];
        for (j, row) in values.iter_mut().enumerate() {
            for (i, d) in row.iter_mut().enumerate() {
                let steps = (pre[j] + post[i]) / dt;
                let r = steps.round();
                if (steps - r).abs() > 1e-6 * r.max(1.0) {
                    rounded = true;
                }
                if r > f64::from(limits::MAX_DELAY) {
                    return Err(ImportError::at(
                        file,
                        node_place(&node.name, kind),
                        Some("delay"),
                        format!("a delay of {steps:.0} steps (dt = {dt} s) exceeds spikegate's largest delay {}", limits::MAX_DELAY),
                    ));
                }
                *d = r as u32;
            }
        }
        if rounded {
            warnings.push(format!(
                "layer `{}`: delays are not whole multiples of dt = {dt} s; rounded to the nearest step",
                node.name
            ));
        }
        Some(values)
    } else {
        None
    };
    let reset = match options.reset {
        ResetRule::Nir | ResetRule::Zero => Reset::Zero,
        ResetRule::Subtract => Reset::Subtract,
    };
    Ok(FloatLayer {
        name: node.name.clone(),
        sources: seg.sources,
        size: n,
        kind: float_kind,
        weights,
        bias,
        threshold,
        reset,
        spiking,
        delays,
    })
}
