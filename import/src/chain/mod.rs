//! From a NIR graph to a discretized [`FloatNetwork`]: the graph must be a
//! feed-forward chain `Input -> ... -> Output`; each run of synapse nodes
//! (`Affine`, `Linear`, `Scale`, `Delay`) ending in a neuron node (`LIF`,
//! `IF`, `CubaLIF`, `LI`, `I`, `CubaLI`, `Threshold`) becomes one layer;
//! a neuron node may feed itself back through one `Affine`/`Linear` node,
//! its layer's recurrent weights.
//! The rules are written out in `docs/import.md`.
//!
//! One module per concern:
//! - `walk`: the graph's shape, which must be a single chain from the
//!   Input to the Output node, with every node on it of a known type;
//! - `layers`: the walked chain, node by node, into layers, and the
//!   output decoding; it hands each node to one of the next two;
//! - `synapses`: folding the synapse nodes since the last neuron node
//!   into one affine map with delays (a `Segment`);
//! - `neuron`: turning a neuron node and its segment into a layer, one
//!   function per NIR neuron type;
//! - `params`: reading a node's parameters, with errors naming the node.

mod layers;
mod neuron;
mod params;
mod synapses;
mod walk;

use std::path::Path;

use crate::error::ImportError;
use crate::float::FloatNetwork;
use crate::nir::NirGraph;
use crate::ImportOptions;

/// The node types spikegate imports, as listed in its error messages.
pub const SUPPORTED: &str = "Input, Output, Affine, Linear, Scale, Delay, Conv1d, Conv2d, SumPool2d, AvgPool2d, Flatten, LIF, IF, CubaLIF, LI, I, CubaLI, Threshold, in a feed-forward chain (a neuron node may loop back to itself through one Affine or Linear)";

/// What the graph walk produced, with the notes the report shows.
pub struct Chain {
    /// The discretized network.
    pub network: FloatNetwork,
    /// Things the user should know (rounded delays and the like).
    pub warnings: Vec<String>,
}

/// Walks `graph` from its Input to its Output and discretizes each layer.
pub fn build(file: &Path, graph: &NirGraph, options: &ImportOptions) -> Result<Chain, ImportError> {
    let walked = walk::walk(file, graph)?;
    layers::build_layers(
        file,
        walked.input_size,
        walked.input_map,
        &walked.nodes,
        &walked.loops,
        options,
    )
}

/// Why a node type is refused, for types NIR has and spikegate not yet.
fn unsupported_reason(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "NIRGraph" => "nested NIR subgraphs are not supported yet; export one flat graph",
        "Input" | "Output" | "Affine" | "Linear" | "Scale" | "Delay" | "LIF" | "IF" | "CubaLIF"
        | "LI" | "I" | "CubaLI" | "Threshold" | "Conv1d" | "Conv2d" | "SumPool2d" | "AvgPool2d"
        | "Flatten" => return None,
        _ => "spikegate does not know this node type",
    })
}

/// Whether a node of type `kind` ends a layer (holds neurons).
fn is_neuron(kind: &str) -> bool {
    matches!(
        kind,
        "LIF" | "IF" | "CubaLIF" | "LI" | "I" | "CubaLI" | "Threshold"
    )
}

/// Whether a neuron node of type `kind` is a non-spiking leaky integrator,
/// which can only be the last layer (a readout).
fn is_readout(kind: &str) -> bool {
    matches!(kind, "LI" | "I" | "CubaLI")
}
