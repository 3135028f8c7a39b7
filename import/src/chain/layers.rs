//! The walked chain, node by node, into layers: synapse nodes are gathered
//! into a [`Segment`] until a neuron node closes it into a layer; then the
//! output decoding is chosen from the last layer.

use std::collections::BTreeMap;
use std::path::Path;

use spikegate_model::{Decode, Shape3};

use super::neuron::neuron_layer;
use super::params::NodeParams;
use super::synapses::Segment;
use super::{is_neuron, Chain};
use crate::error::ImportError;
use crate::float::{name_from_file, FloatLayer, FloatNetwork};
use crate::nir::NirNode;
use crate::ImportOptions;

/// Turns `chain` (the walked nodes, Output last) into the network.
/// `input_size` is the Input node's size, when its shape gives one;
/// otherwise the first node that has a size sets it.
pub(super) fn build_layers(
    file: &Path,
    input_size: Option<usize>,
    input_map: Option<Shape3>,
    chain: &[&NirNode],
    loops: &BTreeMap<&str, &NirNode>,
    options: &ImportOptions,
) -> Result<Chain, ImportError> {
    let mut builder = LayerBuilder {
        file,
        options,
        loops,
        warnings: Vec::new(),
        layers: Vec::new(),
        size: input_size,
        inputs: input_size,
        map: input_map,
        segment: Segment::default(),
    };
    for (pos, &node) in chain.iter().enumerate() {
        let before = pos.checked_sub(1).map(|k| chain[k]);
        builder.add(node, before)?;
    }
    builder.finish()
}

/// The state of the walk over the chain.
struct LayerBuilder<'a> {
    file: &'a Path,
    options: &'a ImportOptions,
    /// The recurrent loops, by neuron node: the synapse node feeding back.
    loops: &'a BTreeMap<&'a str, &'a NirNode>,
    /// Notes for the report.
    warnings: Vec<String>,
    /// The layers closed so far.
    layers: Vec<FloatLayer>,
    /// How many values the last layer (or the Input) gives, once known.
    size: Option<usize>,
    /// The network's input size, once known.
    inputs: Option<usize>,
    /// The map (channels, rows, columns) the last layer or the Input gives,
    /// when it is one: what a pool or a convolution after it reads.
    map: Option<Shape3>,
    /// The synapse nodes since the last neuron node.
    segment: Segment,
}

impl LayerBuilder<'_> {
    /// Takes the next node of the chain; `before` is the node before it
    /// (none for the first).
    fn add(&mut self, node: &NirNode, before: Option<&NirNode>) -> Result<(), ImportError> {
        let p = NodeParams {
            file: self.file,
            node,
        };
        self.check_not_after_readout(&p)?;
        match node.kind.as_str() {
            "Output" => check_segment_closed(self.file, &self.segment, before)?,
            "Affine" | "Linear" => {
                let fan_in = self.segment.add_matrix(&p, self.size)?;
                if self.inputs.is_none() {
                    self.inputs = Some(fan_in);
                    self.size = Some(fan_in);
                }
            }
            "SumPool2d" | "AvgPool2d" => self.segment.add_pool(&p, self.map)?,
            "Conv2d" | "Conv1d" => {
                self.segment.add_conv(&p, self.map)?;
                if self.inputs.is_none() {
                    return Err(p.err(
                        None,
                        "a Conv2d first needs the Input's size: give the Input node a shape",
                    ));
                }
            }
            "Flatten" => self.check_flatten(&p)?,
            "Scale" => self.segment.add_scale(&p, self.size)?,
            "Delay" => self.segment.add_delay(&p, self.size, self.options.dt)?,
            _ => {
                debug_assert!(is_neuron(&node.kind));
                return self.close_layer(&p);
            }
        }
        self.segment.sources.push(node.place());
        Ok(())
    }

    /// Refuses any node after a non-spiking layer, which can only be last.
    fn check_not_after_readout(&self, p: &NodeParams) -> Result<(), ImportError> {
        match self.layers.last() {
            Some(last) if !last.spiking => Err(p.err(
                None,
                format!(
                    "it follows the non-spiking `{}` layer; a leaky integrator (LI, I, CubaLI) can only be the last layer, as a readout",
                    last.name
                ),
            )),
            _ => Ok(()),
        }
    }

    /// Closes the segment with the neuron node `p` into a layer.
    fn close_layer(&mut self, p: &NodeParams) -> Result<(), ImportError> {
        let n = neuron_size(p.node);
        let incoming = self.segment.outputs(self.size);
        if let Some(k) = incoming {
            if k != n && n != 1 {
                return Err(p.err(
                    None,
                    format!(
                        "the node has {n} neurons but receives {k} values from the node before it"
                    ),
                ));
            }
        }
        // A node whose parameters are all scalars takes its size from its input.
        let n = incoming.unwrap_or(n);
        if self.inputs.is_none() {
            self.inputs = Some(n);
        }
        let mut segment = std::mem::take(&mut self.segment);
        segment.sources.push(p.node.place());
        let feedback = self.feedback(p.node, n)?;
        let map = segment.output_map();
        let layer = neuron_layer(p, n, segment, feedback, self.options, &mut self.warnings)?;
        self.map = map;
        self.size = Some(layer.size);
        self.layers.push(layer);
        Ok(())
    }

    /// The synapses through which `node` (of `n` neurons) feeds its spikes
    /// back to itself, if it does: an `n x n` matrix.
    fn feedback(&self, node: &NirNode, n: usize) -> Result<Option<Segment>, ImportError> {
        let Some(&synapse) = self.loops.get(node.name.as_str()) else {
            return Ok(None);
        };
        let p = NodeParams {
            file: self.file,
            node: synapse,
        };
        let mut segment = Segment::default();
        segment.add_matrix(&p, Some(n))?;
        if segment.outputs(None) != Some(n) {
            return Err(p.err(
                Some("weight"),
                format!(
                    "the recurrent matrix of `{}` must be {n} x {n}, from its {n} neurons back to them",
                    node.name
                ),
            ));
        }
        segment.sources.push(synapse.place());
        Ok(Some(segment))
    }

    /// A `Flatten` is the identity on spikegate's indices (channel, row,
    /// column); its declared input, if any, must be the map before it.
    fn check_flatten(&mut self, p: &NodeParams) -> Result<(), ImportError> {
        let map = self
            .segment
            .pool
            .as_ref()
            .map(|pool| pool.output())
            .or(self.map);
        if let (Some(declared), Some(map)) = (p.optional("input_type")?, map) {
            let declared: Vec<usize> = declared.values.iter().map(|&v| v as usize).collect();
            if declared != map {
                return Err(p.err(
                    Some("input_type"),
                    format!(
                        "the Flatten declares input {declared:?}, but the map before it is {map:?}"
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The network, once every node is taken.
    fn finish(self) -> Result<Chain, ImportError> {
        let Some(last) = self.layers.last() else {
            return Err(ImportError::file(
                self.file,
                "the graph has no neuron node between its Input and Output; spikegate needs at least one layer",
            ));
        };
        let decode = choose_decode(self.file, self.options.decode, last)?;
        Ok(Chain {
            network: FloatNetwork {
                name: self
                    .options
                    .name
                    .clone()
                    .unwrap_or_else(|| name_from_file(self.file)),
                inputs: self.inputs.unwrap_or(1),
                layers: self.layers,
                decode,
            },
            warnings: self.warnings,
        })
    }
}

/// Refuses synapse nodes left over at the Output (`before` is the last of
/// them): every layer ends in a neuron node.
fn check_segment_closed(
    file: &Path,
    segment: &Segment,
    before: Option<&NirNode>,
) -> Result<(), ImportError> {
    match before {
        Some(last) if !segment.sources.is_empty() => Err(ImportError::at(
            file,
            last.place(),
            None,
            "the node is not followed by a neuron node before the Output; every spikegate layer ends in neurons (LIF, IF, CubaLIF, LI, I, CubaLI, Threshold)",
        )),
        _ => Ok(()),
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

/// The output decoding: the user's choice if it fits the last layer, else
/// readout for a non-spiking last layer and spike counts for a spiking one.
fn choose_decode(
    file: &Path,
    chosen: Option<Decode>,
    last: &FloatLayer,
) -> Result<Decode, ImportError> {
    match (chosen, last.spiking) {
        (None, true) => Ok(Decode::SpikeCount),
        (None, false) => Ok(Decode::Readout),
        (Some(Decode::Readout), true) => Err(ImportError::file(
            file,
            format!("readout decoding needs a non-spiking last layer (LI, I or CubaLI), but `{}` spikes", last.name),
        )),
        (Some(d), false) if d != Decode::Readout => Err(ImportError::file(
            file,
            format!("the last layer `{}` is a non-spiking integrator, which only readout decoding can read", last.name),
        )),
        (Some(d), _) => Ok(d),
    }
}
