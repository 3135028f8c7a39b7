//! The graph's shape: spikegate carries a single feed-forward chain from
//! one Input node to the Output node, whose neuron nodes may each feed
//! their spikes back to themselves through one `Affine` or `Linear` node
//! (a recurrent loop, as snnTorch's `RLeaky` and `RSynaptic` export). This
//! module sets such loops aside, checks that the rest is a chain and
//! lists its nodes in order; it reads no parameters beyond the Input's
//! `shape`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Display;
use std::path::Path;

use super::{is_neuron, unsupported_reason, SUPPORTED};
use crate::error::ImportError;
use crate::nir::{NirGraph, NirNode};

/// The chain found by [`walk`].
pub(super) struct Walked<'g> {
    /// The Input's size, when its `shape` gives one.
    pub(super) input_size: Option<usize>,
    /// The Input's map, when its `shape` is `[channels, rows, columns]`.
    pub(super) input_map: Option<spikegate_model::Shape3>,
    /// The chain's nodes in data-flow order, Input excluded, Output last.
    pub(super) nodes: Vec<&'g NirNode>,
    /// The recurrent loops: a neuron node's name and the synapse node
    /// through which its output returns to its input.
    pub(super) loops: BTreeMap<&'g str, &'g NirNode>,
}

/// Checks that `graph` is one chain from its Input to its Output node and
/// returns that chain. The checks run in a fixed order (edges, loops, the
/// Input, the chain, stray nodes), so a graph with several faults always
/// reports the same one.
pub(super) fn walk<'g>(file: &Path, graph: &'g NirGraph) -> Result<Walked<'g>, ImportError> {
    let mut edges = Edges::index(file, graph)?;
    let loops = edges.take_loops(graph);
    check_acyclic(file, graph, &edges.successors)?;
    let input = the_input(file, graph)?;
    let (nodes, mut visited) = follow_chain(file, graph, &edges, input)?;
    visited.extend(loops.values().map(|n| n.name.as_str()));
    check_no_strays(file, graph, &visited)?;
    Ok(Walked {
        input_size: input_size(input),
        input_map: input_map(input),
        nodes,
        loops,
    })
}

/// The graph's edges indexed from both ends.
struct Edges<'g> {
    successors: BTreeMap<&'g str, Vec<&'g str>>,
    predecessors: BTreeMap<&'g str, Vec<&'g str>>,
}

impl<'g> Edges<'g> {
    /// Indexes the edges, refusing one that names a node the graph lacks.
    fn index(file: &Path, graph: &'g NirGraph) -> Result<Self, ImportError> {
        let mut successors: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        let mut predecessors: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
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
            successors.entry(a).or_default().push(b);
            predecessors.entry(b).or_default().push(a);
        }
        Ok(Edges {
            successors,
            predecessors,
        })
    }

    /// Takes out every recurrent loop `neuron -> synapse -> neuron` whose
    /// synapse node (`Affine` or `Linear`) has no other edge, and returns
    /// them by neuron node; what remains must be a chain.
    fn take_loops(&mut self, graph: &'g NirGraph) -> BTreeMap<&'g str, &'g NirNode> {
        let mut loops = BTreeMap::new();
        for (name, node) in &graph.nodes {
            let only = |map: &BTreeMap<&str, Vec<&'g str>>| match map.get(name.as_str()) {
                Some(v) if v.len() == 1 => Some(v[0]),
                _ => None,
            };
            let (Some(from), Some(to)) = (only(&self.predecessors), only(&self.successors)) else {
                continue;
            };
            let neuron = &graph.nodes[from];
            if from == to
                && matches!(node.kind.as_str(), "Affine" | "Linear")
                && is_neuron(&neuron.kind)
            {
                loops.insert(from, node);
            }
        }
        for (&neuron, synapse) in &loops {
            let synapse = synapse.name.as_str();
            self.successors.remove(synapse);
            self.predecessors.remove(synapse);
            for map in [&mut self.successors, &mut self.predecessors] {
                if let Some(v) = map.get_mut(neuron) {
                    v.retain(|&m| m != synapse);
                }
            }
        }
        loops
    }
}

/// `names` as a list for messages: `` `a`, `b` ``.
fn quoted_list<T: Display>(names: impl IntoIterator<Item = T>) -> String {
    names
        .into_iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
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
                    1 => return Err(recurrent_loop(file, graph, &path, node, m)),
                    _ => {}
                },
            }
        }
    }
    Ok(())
}

/// The error for the edge `node -> back` that closes a loop, `path` being
/// the depth-first path that reached `node` (it contains `back`).
fn recurrent_loop(
    file: &Path,
    graph: &NirGraph,
    path: &[(&str, usize)],
    node: &str,
    back: &str,
) -> ImportError {
    let from = path.iter().position(|&(p, _)| p == back).unwrap_or(0);
    let mut names: Vec<&str> = path[from..].iter().map(|&(p, _)| p).collect();
    names.push(back);
    let target = &graph.nodes[back];
    let source = &graph.nodes[node];
    ImportError::at(
        file,
        target.place(),
        None,
        format!(
            "recurrent loop {}: the edge `{}` ({}) -> `{}` feeds the node's output back into it; spikegate imports a loop only from a neuron node through one Affine or Linear node (with no other edge) straight back into that neuron node",
            names.join(" -> "),
            node,
            source.kind,
            back
        ),
    )
}

/// The graph's one Input node.
fn the_input<'g>(file: &Path, graph: &'g NirGraph) -> Result<&'g NirNode, ImportError> {
    let inputs: Vec<&NirNode> = graph.nodes.values().filter(|n| n.kind == "Input").collect();
    match inputs[..] {
        [one] => Ok(one),
        [] => Err(ImportError::file(file, "the graph has no Input node")),
        _ => Err(ImportError::file(
            file,
            format!(
                "the graph has {} Input nodes ({}); spikegate takes one input stream",
                inputs.len(),
                quoted_list(inputs.iter().map(|n| &n.name))
            ),
        )),
    }
}

/// Follows the edges from `input` to the Output node, refusing unsupported
/// node types, branches and merges on the way. Returns the chain (Input
/// excluded) and the names of every node on it (Input included).
fn follow_chain<'g>(
    file: &Path,
    graph: &'g NirGraph,
    edges: &Edges,
    input: &'g NirNode,
) -> Result<(Vec<&'g NirNode>, BTreeSet<&'g str>), ImportError> {
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
            return Ok((chain, visited));
        }
        let next = only_successor(file, graph, edges, at)?;
        check_only_predecessor(file, edges, next)?;
        visited.insert(next.name.as_str());
        chain.push(next);
        at = next;
    }
}

/// The node `at` feeds, refusing a dead end or a branch.
fn only_successor<'g>(
    file: &Path,
    graph: &'g NirGraph,
    edges: &Edges,
    at: &NirNode,
) -> Result<&'g NirNode, ImportError> {
    let next = edges
        .successors
        .get(at.name.as_str())
        .map_or(&[][..], Vec::as_slice);
    match next[..] {
        [one] => Ok(&graph.nodes[one]),
        [] => Err(ImportError::at(
            file,
            at.place(),
            None,
            "the node has no outgoing edge, so the chain never reaches the Output node",
        )),
        _ => Err(ImportError::at(
            file,
            at.place(),
            None,
            format!(
                "the node feeds {} nodes ({}); spikegate carries a feed-forward chain, branches are not supported yet",
                next.len(),
                quoted_list(next)
            ),
        )),
    }
}

/// Refuses a node on the chain that more than one node feeds (a merge).
fn check_only_predecessor(file: &Path, edges: &Edges, node: &NirNode) -> Result<(), ImportError> {
    // `node` was reached along an edge, so it has a predecessor entry.
    let from = &edges.predecessors[node.name.as_str()];
    if from.len() > 1 {
        return Err(ImportError::at(
            file,
            node.place(),
            None,
            format!(
                "the node has {} incoming edges (from {}); spikegate layers take one input, merging branches is not supported yet",
                from.len(),
                quoted_list(from)
            ),
        ));
    }
    Ok(())
}

/// Refuses a node that is not on the chain (it would be silently dropped).
fn check_no_strays(
    file: &Path,
    graph: &NirGraph,
    visited: &BTreeSet<&str>,
) -> Result<(), ImportError> {
    match graph
        .nodes
        .values()
        .find(|n| !visited.contains(n.name.as_str()))
    {
        Some(stray) => Err(ImportError::at(
            file,
            stray.place(),
            None,
            "the node is not on the chain from the Input to the Output node; spikegate imports a single chain",
        )),
        None => Ok(()),
    }
}

/// The number of input neurons the Input's `shape` gives (the product of
/// its dimensions), when it is a list of positive whole numbers.
fn input_size(input: &NirNode) -> Option<usize> {
    match input.params.get("shape") {
        Some(p)
            if !p.values.is_empty() && p.values.iter().all(|&v| v >= 1.0 && v.fract() == 0.0) =>
        {
            Some(p.values.iter().product::<f64>() as usize)
        }
        _ => None,
    }
}

/// The Input's `shape` as a map, when it has three whole dimensions, or
/// two (channels, length: a map of one row, what a Conv1d reads).
fn input_map(input: &NirNode) -> Option<spikegate_model::Shape3> {
    input_size(input)?;
    match input.params.get("shape")?.values[..] {
        [c, h, w] => Some([c as usize, h as usize, w as usize]),
        [c, l] => Some([c as usize, 1, l as usize]),
        _ => None,
    }
}
